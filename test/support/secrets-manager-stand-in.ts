import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Secrets Manager stand-in on 127.0.0.1 speaking the real AWS JSON 1.1 protocol (`X-Amz-Target:
 * secretsmanager.<Operation>`), so the AWS SDK's own client talks to it through `endpoint`. It
 * keeps what rotation depends on — versions and their staging labels — with the service's rules:
 *
 * - a label sits on at most one version; putting or moving it takes it off the other;
 * - moving `AWSCURRENT` puts `AWSPREVIOUS` on the version that had it;
 * - `UpdateSecretVersionStage` refuses to move a label off a version other than the one it is on;
 * - `RotateSecret` turns rotation on and opens a version for its token labelled `AWSPENDING` with
 *   no value yet (what the rotation function's createSecret step fills); it does not invoke the
 *   function — a test drives the four steps itself, as Secrets Manager would;
 * - `PutSecretValue` with a token that already names a version is idempotent for the same value
 *   and `ResourceExistsException` for another; a version without a value reads as not found.
 *
 * Operations: CreateSecret, DescribeSecret, GetSecretValue, PutSecretValue,
 * UpdateSecretVersionStage, RotateSecret, TagResource, UntagResource. Requests are signed by the
 * SDK with test credentials; the signature is not checked, but who signed is: each call records the
 * access key id of its SigV4 `Credential=` (and whether a session token came with it), and
 * `accepts` (options) stands for the account's IAM — a request it refuses is the service's
 * `AccessDeniedException`. `account`/`region` make a second instance stand for a customer's account.
 */
export interface SecretsManagerStandInOptions {
  /** The account and region in the ARNs it makes (default 123456789012, us-east-1). */
  account?: string;
  region?: string;
  /** Whether the signer may call: its access key id and session token (temporary credentials carry one). Default: anyone. */
  accepts?: (signer: { accessKeyId: string; sessionToken: string | undefined }) => boolean;
}

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** Every call in order: the operation, the SecretId (or Name) it named, and who signed it (SigV4 `Credential=`). */
  readonly calls: Array<{ operation: string; secretId: string; accessKeyId: string; sessionToken: boolean }>;
  /**
   * The next call of `operation` fails with InternalServiceError (500) before doing anything: a
   * failure the real service can show and a test cannot otherwise bring about (a function dying
   * between two calls looks the same to the calls that follow).
   */
  failNext(operation: string): void;
  /** A secret's versions as stored (value, labels), for assertions. */
  versions(secretId: string): Array<{ versionId: string; value: string | undefined; stages: string[] }>;
  close(): Promise<void>;
}

interface Version {
  id: string;
  value: string | undefined;
  stages: Set<string>;
  created: number;
}

interface Secret {
  arn: string;
  name: string;
  tags: Map<string, string>;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: unknown;
  versions: Map<string, Version>;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The access key id a SigV4 request was signed with: `Authorization: AWS4-HMAC-SHA256 Credential=<id>/<date>/…`. */
export function signingAccessKeyId(authorization: string | undefined): string {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1] ?? '';
}

export async function startSecretsManagerStandIn(options: SecretsManagerStandInOptions = {}): Promise<SecretsManagerStandIn> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const secrets = new Map<string, Secret>();
  const calls: SecretsManagerStandIn['calls'] = [];
  const failing = new Set<string>();

  const find = (id: unknown): Secret => {
    const secret = [...secrets.values()].find((s) => s.arn === id || s.name === id);
    if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const holder = (secret: Secret, stage: string) => [...secret.versions.values()].find((v) => v.stages.has(stage));
  /** Puts `stage` on `version` alone; AWSCURRENT leaves AWSPREVIOUS behind. */
  const attach = (secret: Secret, stage: string, version: Version) => {
    const before = holder(secret, stage);
    if (before === version) return;
    before?.stages.delete(stage);
    version.stages.add(stage);
    if (stage === 'AWSCURRENT' && before) {
      holder(secret, 'AWSPREVIOUS')?.stages.delete('AWSPREVIOUS');
      before.stages.add('AWSPREVIOUS');
    }
  };
  const newVersion = (secret: Secret, id: string, value: string | undefined): Version => {
    const version: Version = { id, value, stages: new Set(), created: Date.now() };
    secret.versions.set(id, version);
    return version;
  };

  const operations: Record<string, (input: Record<string, any>) => unknown> = {
    CreateSecret(input) {
      const name = String(input.Name ?? '');
      if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) throw new AwsError('InvalidParameterException', 'Invalid name.');
      if ([...secrets.values()].some((s) => s.name === name)) throw new AwsError('ResourceExistsException', `The secret ${name} already exists.`);
      const secret: Secret = {
        arn: `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${randomUUID().slice(0, 6)}`,
        name,
        tags: new Map(((input.Tags ?? []) as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value])),
        rotationEnabled: false,
        versions: new Map(),
      };
      secrets.set(secret.arn, secret);
      const version = newVersion(secret, String(input.ClientRequestToken ?? randomUUID()), input.SecretString);
      attach(secret, 'AWSCURRENT', version);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id };
    },
    DescribeSecret(input) {
      const secret = find(input.SecretId);
      const versionIdsToStages = Object.fromEntries(
        [...secret.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.id, [...v.stages]]),
      );
      return {
        ARN: secret.arn,
        Name: secret.name,
        RotationEnabled: secret.rotationEnabled,
        ...(secret.rotationLambdaArn ? { RotationLambdaARN: secret.rotationLambdaArn } : {}),
        ...(secret.rotationRules ? { RotationRules: secret.rotationRules } : {}),
        Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })),
        VersionIdsToStages: versionIdsToStages,
      };
    },
    GetSecretValue(input) {
      const secret = find(input.SecretId);
      const stage = input.VersionStage as string | undefined;
      const version = input.VersionId ? secret.versions.get(String(input.VersionId)) : holder(secret, stage ?? 'AWSCURRENT');
      if (!version || (stage && !version.stages.has(stage)) || version.value === undefined) {
        throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for the version or staging label.");
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        SecretString: version.value,
        VersionStages: [...version.stages],
        CreatedDate: version.created / 1000,
      };
    },
    PutSecretValue(input) {
      const secret = find(input.SecretId);
      const token = String(input.ClientRequestToken ?? randomUUID());
      const value = input.SecretString as string | undefined;
      if (value === undefined) throw new AwsError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
      const stages = (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT'];
      let version = secret.versions.get(token);
      if (version && version.value !== undefined && version.value !== value) {
        throw new AwsError('ResourceExistsException', 'You can\'t modify an existing version, you can only create a new version.');
      }
      version ??= newVersion(secret, token, value);
      version.value = value;
      for (const stage of stages) attach(secret, stage, version);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
    },
    UpdateSecretVersionStage(input) {
      const secret = find(input.SecretId);
      const stage = String(input.VersionStage);
      const current = holder(secret, stage);
      if (current && input.MoveToVersionId && current.id !== input.MoveToVersionId && current.id !== input.RemoveFromVersionId) {
        throw new AwsError(
          'InvalidParameterException',
          `The staging label ${stage} is currently attached to version ${current.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      if (input.RemoveFromVersionId && !input.MoveToVersionId) {
        const from = secret.versions.get(String(input.RemoveFromVersionId));
        if (!from || !from.stages.has(stage)) throw new AwsError('InvalidParameterException', `The staging label ${stage} is not on version ${String(input.RemoveFromVersionId)}.`);
        from.stages.delete(stage);
      }
      if (input.MoveToVersionId) {
        const to = secret.versions.get(String(input.MoveToVersionId));
        if (!to) throw new AwsError('ResourceNotFoundException', `Version ${String(input.MoveToVersionId)} not found.`);
        attach(secret, stage, to);
      }
      return { ARN: secret.arn, Name: secret.name };
    },
    RotateSecret(input) {
      const secret = find(input.SecretId);
      const pending = holder(secret, 'AWSPENDING');
      if (pending && !pending.stages.has('AWSCURRENT')) {
        throw new AwsError('InvalidRequestException', 'A previous rotation isn\'t complete. That rotation will be reattempted.');
      }
      if (input.RotationLambdaARN) secret.rotationLambdaArn = String(input.RotationLambdaARN);
      if (input.RotationRules) secret.rotationRules = input.RotationRules;
      if (!secret.rotationLambdaArn) throw new AwsError('InvalidRequestException', 'No Lambda rotation function ARN is associated with this secret.');
      secret.rotationEnabled = true;
      const version = newVersion(secret, String(input.ClientRequestToken ?? randomUUID()), undefined);
      attach(secret, 'AWSPENDING', version);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id };
    },
    TagResource(input) {
      const secret = find(input.SecretId);
      for (const t of (input.Tags ?? []) as Array<{ Key: string; Value: string }>) secret.tags.set(t.Key, t.Value);
      return {};
    },
    UntagResource(input) {
      const secret = find(input.SecretId);
      for (const key of (input.TagKeys ?? []) as string[]) secret.tags.delete(key);
      return {};
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
      const run = operations[operation];
      try {
        if (req.method !== 'POST' || !run) throw new AwsError('InvalidRequestException', `unsupported operation ${target}`);
        const input = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
        const accessKeyId = signingAccessKeyId(req.headers.authorization);
        const token = req.headers['x-amz-security-token'];
        const sessionToken = typeof token === 'string' && token !== '' ? token : undefined;
        calls.push({ operation, secretId: String(input.SecretId ?? input.Name ?? ''), accessKeyId, sessionToken: sessionToken !== undefined });
        if (options.accepts && !options.accepts({ accessKeyId, sessionToken })) {
          throw new AwsError('AccessDeniedException', `User: ${accessKeyId || 'anonymous'} is not authorized to perform: secretsmanager:${operation} because no identity-based policy allows the secretsmanager:${operation} action`);
        }
        if (failing.delete(operation)) return reply(500, { __type: 'InternalServiceError', message: 'An error occurred on the server side.' });
        reply(200, run(input));
      } catch (err) {
        if (err instanceof AwsError) reply(400, { __type: err.type, message: err.message });
        else reply(500, { __type: 'InternalServiceError', message: String(err) });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    failNext: (operation) => void failing.add(operation),
    versions(secretId) {
      return [...find(secretId).versions.values()].map((v) => ({ versionId: v.id, value: v.value, stages: [...v.stages] }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
