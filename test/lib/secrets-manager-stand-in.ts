import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInSecret {
  readonly arn: string;
  readonly name: string;
  readonly value: unknown;
}

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** SecretId of every GetSecretValue call, in order. */
  readonly calls: string[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * A stand-in for the Secrets Manager endpoint on 127.0.0.1, speaking the AWS JSON 1.1 protocol
 * for `secretsmanager.GetSecretValue` only (what the shipped functions call). Requests are signed
 * by the SDK with fake credentials; the signature is not checked. Secrets are found by ARN or name.
 */
export async function startSecretsManagerStandIn(secrets: readonly StandInSecret[]): Promise<SecretsManagerStandIn> {
  const calls: string[] = [];
  const versions = new Map(secrets.map((s) => [s.arn, randomUUID()]));
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    readBody(req)
      .then((raw) => {
        const target = req.headers['x-amz-target'];
        if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
          return reply(400, { __type: 'InvalidRequestException', message: `unsupported operation ${String(target)}` });
        }
        const { SecretId } = JSON.parse(raw) as { SecretId?: string };
        calls.push(String(SecretId));
        const secret = secrets.find((s) => s.arn === SecretId || s.name === SecretId);
        if (!secret) {
          return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        }
        return reply(200, {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: JSON.stringify(secret.value),
          VersionId: versions.get(secret.arn),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(Date.now() / 1000),
        });
      })
      .catch((err: unknown) => reply(500, { __type: 'InternalServiceError', message: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
