import { DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DeliveryOutcome, RotationDelivery } from '../core/key-rotation';
import { redactKeys } from '../core/redact-keys';
import type { KeyRecord, KeyRotationSetting } from '../core/types';
import type { SecretValue } from '../handlers/secret-rotation-steps';

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
    },
  ) {}

  private taggedFor(arn: string, projectId: string): Promise<string | undefined> {
    return taggedForProject(this.deps.client, arn, projectId);
  }

  async preflight(to: KeyRotationSetting['deliverTo'], key: KeyRecord): Promise<string | undefined> {
    if (!('secretsManagerArn' in to)) return this.deps.owner ? this.deps.owner.preflight(to, key) : OWNER_UNAVAILABLE;
    return this.taggedFor(to.secretsManagerArn, key.projectId);
  }

  async deliver(to: KeyRotationSetting['deliverTo'], issued: { key: KeyRecord; secret: string }): Promise<DeliveryOutcome> {
    if (!('secretsManagerArn' in to)) {
      return this.deps.owner ? this.deps.owner.deliver(to, issued) : { delivered: false, reason: OWNER_UNAVAILABLE };
    }
    const refused = await this.taggedFor(to.secretsManagerArn, issued.key.projectId);
    if (refused) return { delivered: false, reason: refused };
    const value: SecretValue = { apiKey: issued.secret, keyId: issued.key.id, ...(this.deps.baseUrl ? { baseUrl: this.deps.baseUrl } : {}) };
    try {
      const out = await this.deps.client.send(
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
