import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signingAccessKeyId } from './secrets-manager-stand-in';

/**
 * An STS stand-in on 127.0.0.1 speaking the real AWS query protocol for `AssumeRole` (POST of
 * `Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…&ExternalId=…&DurationSeconds=…`,
 * answered in STS's XML), so the AWS SDK's own STS client talks to it through `endpoint`. It stands
 * for the customer's IAM as cross-account delivery (issue 25 point 2) depends on it:
 *
 * - a role exists only if the test declared it (`roles`); its trust policy names the one caller
 *   (the access key id of Keywarden's rotations role, read from the SigV4 `Credential=`) and the
 *   `sts:ExternalId` it requires — a wrong, missing or extra ExternalId, another caller, or an
 *   unknown role is `AccessDenied` (403), the message the real service gives;
 * - `RoleSessionName` and `DurationSeconds` (900–43200) are validated as the service does
 *   (`ValidationError`, 400);
 * - granted, it issues fresh temporary credentials (`ASIA…` key id, secret, session token,
 *   expiry) and remembers which role each key id stands for (`issued`), so the customer's Secrets
 *   Manager stand-in can accept exactly those (`accepts`).
 *
 * The signature is not checked; who signed is. `stallNext()` leaves the next call unanswered (the
 * timeout a caller must bound).
 */
export interface StsRole {
  roleArn: string;
  /** The access key id allowed to assume it (the trust policy's principal). */
  trustedAccessKeyId: string;
  /** The trust policy's `sts:ExternalId` condition; undefined = none required (and none accepted). */
  externalId?: string;
}

export interface IssuedCredentials {
  roleArn: string;
  sessionName: string;
  accessKeyId: string;
  sessionToken: string;
  expiration: Date;
}

export interface StsStandIn {
  readonly endpoint: string;
  /** Every AssumeRole in order, granted or not: what was asked and by whom. */
  readonly calls: Array<{ roleArn: string; sessionName: string; externalId: string | undefined; durationSeconds: number | undefined; callerAccessKeyId: string; granted: boolean }>;
  /** Credentials handed out, by access key id. */
  readonly issued: Map<string, IssuedCredentials>;
  /** Whether a signer holds live credentials of `roleArn` (key id and its own session token). */
  holdsRole(roleArn: string, signer: { accessKeyId: string; sessionToken: string | undefined }): boolean;
  /** The next AssumeRole is read and never answered. */
  stallNext(): void;
  close(): Promise<void>;
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startStsStandIn(roles: readonly StsRole[]): Promise<StsStandIn> {
  const calls: StsStandIn['calls'] = [];
  const issued = new Map<string, IssuedCredentials & { secretAccessKey: string }>();
  const stalled: ServerResponse[] = [];
  let stall = false;

  const assumeRole = (form: URLSearchParams, callerAccessKeyId: string): string => {
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    const externalId = form.get('ExternalId') ?? undefined;
    const duration = form.get('DurationSeconds');
    const durationSeconds = duration === null ? undefined : Number(duration);
    const call = { roleArn, sessionName, externalId, durationSeconds, callerAccessKeyId, granted: false };
    calls.push(call);
    if (!ROLE_ARN.test(roleArn)) throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint`);
    if (!SESSION_NAME.test(sessionName)) throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) throw new StsError(400, 'ValidationError', "1 validation error detected: Value at 'externalId' failed to satisfy constraint");
    if (durationSeconds !== undefined && !(Number.isInteger(durationSeconds) && durationSeconds >= 900 && durationSeconds <= 43_200)) {
      throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
    }
    const role = roles.find((r) => r.roleArn === roleArn);
    if (!role || role.trustedAccessKeyId !== callerAccessKeyId || role.externalId !== externalId) {
      throw new StsError(403, 'AccessDenied', `User: ${callerAccessKeyId || 'anonymous'} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    call.granted = true;
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const credentials = {
      roleArn,
      sessionName,
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
      expiration: new Date(Date.now() + (durationSeconds ?? 3600) * 1000),
    };
    issued.set(accessKeyId, credentials);
    const [, account, roleName] = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn)!;
    return (
      `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult>` +
      `<AssumedRoleUser><AssumedRoleId>AROA${account}:${xmlEscape(sessionName)}</AssumedRoleId>` +
      `<Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(roleName!)}/${xmlEscape(sessionName)}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(credentials.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xmlEscape(credentials.sessionToken)}</SessionToken><Expiration>${credentials.expiration.toISOString()}</Expiration></Credentials>` +
      `<PackedPolicySize>0</PackedPolicySize></AssumeRoleResult>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const reply = (status: number, xml: string) => {
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
        res.end(xml);
      };
      const form = new URLSearchParams(Buffer.concat(parts).toString('utf8'));
      try {
        if (req.method !== 'POST' || form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15') {
          throw new StsError(400, 'InvalidAction', `Could not find operation ${form.get('Action') ?? ''} for version ${form.get('Version') ?? ''}`);
        }
        const body = assumeRole(form, signingAccessKeyId(req.headers.authorization));
        if (stall) {
          stall = false;
          stalled.push(res);
          return;
        }
        reply(200, body);
      } catch (err) {
        const e = err instanceof StsError ? err : new StsError(500, 'InternalFailure', String(err));
        const type = e.status < 500 ? 'Sender' : 'Receiver';
        reply(
          e.status,
          `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error>` +
            `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
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
    issued,
    holdsRole(roleArn, signer) {
      const held = issued.get(signer.accessKeyId);
      return !!held && held.roleArn === roleArn && held.sessionToken === signer.sessionToken && held.expiration.getTime() > Date.now();
    },
    stallNext: () => void (stall = true),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
