import { DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DeliveryOutcome, RotationDelivery, SecretDestination } from '../core/key-rotation';
import { redactKeys } from '../core/redact-keys';
import type { KeyRecord, KeyRotationSetting } from '../core/types';
import type { SecretValue } from '../handlers/secret-rotation-steps';
import type { DeliveryRoleClient } from './sts-credentials';

/**
 * A scheduled rotation's new value into the customer's Secrets Manager secret (issue 25 point 2;
 * docs/operating.md "Rotation on schedule"), as a new version labelled AWSCURRENT (the service
 * moves AWSPREVIOUS onto the version before). The value is the JSON the rotation function writes
 * (secret-rotation-steps.ts `SecretValue`): `{"apiKey", "keyId", "baseUrl"}`, so a reader serves
 * both the same way.
 *
 * Which secrets: only one tagged `keywarden-delivery` = the key's project id (DELIVERY_TAG_KEY).
 * The role may write any secret tagged `keywarden-delivery` (IAM cannot compare a tag with the
 * key's project), so the adapter reads the tag first (`DescribeSecret`: metadata, never a value):
 * a key manager of one project cannot aim its key at another project's secret and overwrite it.
 * The secret's value is not read, so fields of the customer's own in the previous version are not
 * carried over (the rotation function, which may read, does carry them).
 *
 * Another account's secret (`roleArn`, docs/operating.md §12) is described and written with the
 * customer's role, assumed for the key's project (sts-credentials.ts), in the secret's region; the
 * tag is still required there — the role is the account's consent, the tag the secret's. A role
 * that cannot be assumed (AccessDenied: another project's role, a trust not yet granted; STS not
 * answering) refuses like a secret that is not tagged: at preflight nothing is rotated, at
 * delivery the rotation is undone.
 *
 * The request token derives from the replacement's id: a retried put of the same rotation is
 * the same version, never a second one. A refusal comes back as a reason (the SDK's error name
 * and message, which name the secret, never the value).
 */
export class SecretsManagerRotationDelivery implements RotationDelivery {
  constructor(
    private readonly deps: {
      client: SecretsManagerClient;
      /** What readers are told the key is for (the public /v1 base), when configured. */
      baseUrl?: string;
      /** Owner delivery (the value held for a chat owner: core/rotation-owner-delivery.ts); without it, refused with why. */
      owner?: RotationDelivery;
      /** Another account's secret, through the customer's role (sts-credentials.ts); without it, refused with why. */
      roles?: DeliveryRoleClient;
    },
  ) {}

  /** The client a destination is written with: this function's own, or the customer's role assumed for the key's project. */
  private async clientFor(to: SecretDestination, key: KeyRecord): Promise<{ client: SecretsManagerClient } | { reason: string }> {
    if (to.roleArn === undefined) return { client: this.deps.client };
    if (!this.deps.roles) return { reason: `delivery through a customer's role (${to.roleArn}) is not available to this job` };
    const region = to.secretsManagerArn.split(':')[3] ?? '';
    return this.deps.roles.clientFor(to.roleArn, region, key);
  }

  /** The client to write with once the secret is found tagged for the key's project; or why not. */
  private async taggedClient(to: SecretDestination, key: KeyRecord): Promise<{ client: SecretsManagerClient } | { reason: string }> {
    const got = await this.clientFor(to, key);
    if ('reason' in got) return got;
    const refused = await taggedForProject(got.client, to.secretsManagerArn, key.projectId);
    return refused ? { reason: refused } : got;
  }

  async preflight(to: KeyRotationSetting['deliverTo'], key: KeyRecord): Promise<string | undefined> {
    if (!('secretsManagerArn' in to)) return this.deps.owner ? this.deps.owner.preflight(to, key) : OWNER_UNAVAILABLE;
    const got = await this.taggedClient(to, key);
    return 'reason' in got ? got.reason : undefined;
  }

  async deliver(to: KeyRotationSetting['deliverTo'], issued: { key: KeyRecord; secret: string }): Promise<DeliveryOutcome> {
    if (!('secretsManagerArn' in to)) {
      return this.deps.owner ? this.deps.owner.deliver(to, issued) : { delivered: false, reason: OWNER_UNAVAILABLE };
    }
    const got = await this.taggedClient(to, issued.key);
    if ('reason' in got) return { delivered: false, reason: got.reason };
    const value: SecretValue = { apiKey: issued.secret, keyId: issued.key.id, ...(this.deps.baseUrl ? { baseUrl: this.deps.baseUrl } : {}) };
    try {
      const out = await got.client.send(
        new PutSecretValueCommand({
          SecretId: to.secretsManagerArn,
          ClientRequestToken: `keywarden-rotation-${issued.key.id}`,
          SecretString: JSON.stringify(value),
          VersionStages: ['AWSCURRENT'],
        }),
      );
      return { delivered: true, where: `${out.ARN ?? to.secretsManagerArn} (version ${out.VersionId ?? 'unknown'})` };
    } catch (err) {
      const e = err as { name?: string; message?: string };
      return { delivered: false, reason: redactKeys(`Secrets Manager refused PutSecretValue on ${to.secretsManagerArn}: ${e.name ?? 'Error'}: ${e.message ?? ''}`) };
    }
  }
}

const OWNER_UNAVAILABLE = 'private delivery to a chat owner is not available to this job';

/** The tag that binds a secret to the one project whose keys may be delivered into it. */
export const DELIVERY_TAG_KEY = 'keywarden-delivery';

/** Why not, or undefined when the secret is tagged for this project. */
async function taggedForProject(client: SecretsManagerClient, arn: string, projectId: string): Promise<string | undefined> {
  try {
    const meta = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const tag = (meta.Tags ?? []).find((t) => t.Key === DELIVERY_TAG_KEY)?.Value;
    return tag === projectId ? undefined : `secret ${arn} is not tagged ${DELIVERY_TAG_KEY}=${projectId} (the project whose keys it may receive)`;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    return redactKeys(`Secrets Manager refused DescribeSecret on ${arn}: ${e.name ?? 'Error'}: ${e.message ?? ''}`);
  }
}

/** The Secrets Manager client the scheduled job writes with; `endpoint` only for tests and unusual networks. */
export function rotationSecretsClient(endpoint: string | undefined): SecretsManagerClient {
  return new SecretsManagerClient(endpoint ? { endpoint } : {});
}
