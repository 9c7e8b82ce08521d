import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { redactKeys } from '../core/redact-keys';

/**
 * Cross-account delivery (issue 25 point 2; docs/operating.md §12): a Secrets Manager client
 * signed with the customer's role, the one they grant in the secret's account, assumed with
 *
 * - `ExternalId` = the key's project id: the role's trust policy names the one project whose keys
 *   may go there, so a key manager of another project cannot aim at it (the confused deputy);
 * - `RoleSessionName` = `keywarden-<key id>` (what the customer's CloudTrail shows);
 * - `DurationSeconds` 900, the least STS grants: a run needs seconds.
 *
 * AssumeRole is bounded (`timeoutMs`, default 5 s): a stalled STS fails this one delivery, it
 * does not hold the job. Credentials are kept per role and project until a minute before they
 * expire, so a run that rotates several keys into one customer's secrets assumes the role once;
 * the project is part of the cache key for the reason ExternalId is part of the call. Neither the
 * credentials nor a key value ever reach a reason: a refusal names the role, the project and STS's
 * error (which names the caller and the role).
 */
export interface DeliveryRoleClient {
  /** A Secrets Manager client acting as `roleArn`, in `region`; or why not (AccessDenied, timeout). */
  clientFor(roleArn: string, region: string, key: { id: string; projectId: string }): Promise<{ client: SecretsManagerClient } | { reason: string }>;
}

export const ASSUME_ROLE_DURATION_SECONDS = 900;
export const ASSUME_ROLE_TIMEOUT_MS = 5_000;
/** Credentials this close to expiry are not reused: a delivery started on them could outlive them. */
const RENEW_BEFORE_MS = 60_000;

/** `keywarden-<key id>` in STS's RoleSessionName alphabet (`[\w+=,.@-]`, 2–64 characters). */
export function roleSessionName(keyId: string): string {
  return `keywarden-${keyId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

interface Held {
  expiresAt: number;
  clients: Map<string, SecretsManagerClient>;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

export class StsDeliveryRoles implements DeliveryRoleClient {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly deps: {
      sts: STSClient;
      /** Where the assumed clients send (tests: the customer's stand-in); unset: the secret's region's endpoint. */
      secretsManagerEndpoint?: string;
      timeoutMs?: number;
      now?: () => number;
    },
  ) {}

  async clientFor(roleArn: string, region: string, key: { id: string; projectId: string }): Promise<{ client: SecretsManagerClient } | { reason: string }> {
    const now = (this.deps.now ?? Date.now)();
    const cacheKey = `${roleArn}\n${key.projectId}`;
    let held = this.held.get(cacheKey);
    if (!held || held.expiresAt - RENEW_BEFORE_MS <= now) {
      this.held.delete(cacheKey);
      const assumed = await this.assume(roleArn, key);
      if ('reason' in assumed) return assumed;
      held = { ...assumed, clients: new Map() };
      this.held.set(cacheKey, held);
    }
    let client = held.clients.get(region);
    if (!client) {
      const endpoint = this.deps.secretsManagerEndpoint;
      client = new SecretsManagerClient({ region, credentials: held.credentials, ...(endpoint ? { endpoint } : {}) });
      held.clients.set(region, client);
    }
    return { client };
  }

  private async assume(roleArn: string, key: { id: string; projectId: string }): Promise<Omit<Held, 'clients'> | { reason: string }> {
    const timeoutMs = this.deps.timeoutMs ?? ASSUME_ROLE_TIMEOUT_MS;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const what = `could not assume ${roleArn} with ExternalId ${key.projectId}`;
    try {
      const out = await this.deps.sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: roleSessionName(key.id), ExternalId: key.projectId, DurationSeconds: ASSUME_ROLE_DURATION_SECONDS }),
        { abortSignal: abort.signal },
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) return { reason: `${what}: STS answered without credentials` };
      return {
        expiresAt: new Date(c.Expiration).getTime(),
        credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
      };
    } catch (err) {
      if (abort.signal.aborted) return { reason: `${what}: STS did not answer within ${timeoutMs} ms` };
      const e = err as { name?: string; message?: string };
      return { reason: redactKeys(`${what}: ${e.name ?? 'Error'}: ${e.message ?? ''}`) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The STS client the rotations function assumes customers' roles with, as its own role; `endpoint`
 * only for tests. The regional endpoint of the function's region (the SDK's default).
 */
export function deliveryStsClient(endpoint: string | undefined, region: string | undefined): STSClient {
  return new STSClient({ region: region || 'us-east-1', maxAttempts: 2, ...(endpoint ? { endpoint } : {}) });
}
