import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { redactKeys } from '../core/redact-keys';
import { type ApiError, type ApiMe, KeywardenApi } from '../http/client';

/**
 * Secrets Manager's four rotation steps for a Keywarden key kept in a customer's secret (issue 25
 * point 3; docs/operating.md "Rotating a key stored in Secrets Manager").
 *
 * The secret's value is JSON: `{"apiKey": "<key>", "keyId": "key_…", "baseUrl": "https://…"}`;
 * other fields are carried to each new version unchanged. `keyId` and `baseUrl` are for the
 * secret's readers: the function never trusts them. Which key it rotates is what `GET /v1/me`
 * answers for the current `apiKey` (so whoever can write the secret can only ever have a key
 * rotated that they already hold), and it sends keys only to its configured API URL (a secret
 * naming another `baseUrl` is refused, so writing a secret cannot draw the rotator key elsewhere).
 *
 * Who rotates (SPEC §3, unchanged): the rotator key — a privileged key with `keys:write`, kept in
 * its own secret named by the function's configuration — or, without one, the stored key itself
 * (a key may rotate itself when it holds `keys:write`, since it is no wider than itself). Either
 * way Keywarden's own authority check decides; the function widens nothing.
 *
 * - createSecret: marks the current key with this rotation's token (metadata
 *   `secretsmanager.rotation`, copied to the replacement), rotates it with the configured overlap
 *   (the old key keeps working meanwhile, for readers that cache the secret), and puts the new key
 *   under AWSPENDING with the token. Retried, it rotates once: a value already under the token is
 *   kept; a replacement already made for this token whose value was lost (the function died
 *   between rotate and PutSecretValue) is rotated again at once — nobody holds it, so it stops
 *   now — and its replacement is stored. A replacement made by anyone else is refused.
 * - setSecret: nothing: Keywarden generates the value, so rotate already made it live.
 * - testSecret: `GET /v1/me` with the AWSPENDING key answers the key id it names.
 * - finishSecret: AWSCURRENT moves to the token's version (the old one gets AWSPREVIOUS), and
 *   AWSPENDING comes off it.
 */

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends: the secret, the new version's id, the step. */
export const RotationEvent = z.object({
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1).max(64),
  Step: z.enum(ROTATION_STEPS),
});
export type RotationEvent = z.infer<typeof RotationEvent>;

/** The tag a secret must carry (and the function's IAM policy requires) before it is rotated. */
export const ROTATION_TAG = { key: 'keywarden-rotation', value: 'enabled' } as const;
/** The metadata entry naming the rotation (its ClientRequestToken) that produced a key. */
export const ROTATION_MARK = 'secretsmanager.rotation';

/** How many lost replacements in a row a createSecret follows before it gives up (each one a died attempt). */
const MAX_LOST_REPLACEMENTS = 10;

/** A secret's value: the key and, for its readers, its id and the API URL; anything else kept. */
export const SecretValue = z.looseObject({
  apiKey: z.string().min(1),
  keyId: z.string().optional(),
  baseUrl: z.string().optional(),
});
export type SecretValue = z.infer<typeof SecretValue>;

/** A refusal or failure of a step: the rotation stops there and Secrets Manager retries it later. */
export class SecretRotationError extends Error {
  override name = 'SecretRotationError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(redactKeys(message));
  }
}

export interface SecretRotationDeps {
  secrets: SecretsManagerClient;
  /** Keywarden's API base, where keys are sent (and only there). */
  apiUrl: string;
  /** The secret holding the rotator key; none: each key rotates itself. */
  rotatorSecretId?: string;
  /** How long an old key keeps working after its rotation, e.g. `2h` (≤ 7d). */
  overlap: string;
  logger: Logger;
  fetch?: typeof fetch;
}

export class SecretRotation {
  constructor(private readonly deps: SecretRotationDeps) {}

  /**
   * Runs one step, after checking the secret is one to rotate and the token is its pending
   * version. A failure is logged (redacted: a refusal's message may quote Keywarden's answer) and
   * thrown, so Secrets Manager marks the rotation failed and retries it.
   */
  async run(input: unknown): Promise<{ outcome: string }> {
    const parsed = RotationEvent.safeParse(input);
    if (!parsed.success) throw new SecretRotationError('invalid_event', 'Not a Secrets Manager rotation event (SecretId, ClientRequestToken, Step).');
    try {
      return await this.step(parsed.data);
    } catch (err) {
      const { SecretId, ClientRequestToken, Step } = parsed.data;
      this.deps.logger.error('secret rotation step failed', {
        secret: SecretId,
        step: Step,
        version: ClientRequestToken,
        reason: err instanceof SecretRotationError ? err.reason : err instanceof Error ? err.name : 'unknown',
        detail: redactKeys(err instanceof Error ? err.message : String(err)),
      });
      throw err;
    }
  }

  private async step({ SecretId, ClientRequestToken: token, Step }: RotationEvent): Promise<{ outcome: string }> {
    const meta = await this.deps.secrets.send(new DescribeSecretCommand({ SecretId }));
    const arn = meta.ARN ?? SecretId;
    if (!meta.RotationEnabled) throw new SecretRotationError('rotation_disabled', `Secret ${arn} is not enabled for rotation.`);
    if (!(meta.Tags ?? []).some((t) => t.Key === ROTATION_TAG.key && t.Value === ROTATION_TAG.value)) {
      throw new SecretRotationError('not_tagged', `Secret ${arn} is not tagged ${ROTATION_TAG.key}=${ROTATION_TAG.value}.`);
    }
    const stages = meta.VersionIdsToStages?.[token];
    if (!stages) throw new SecretRotationError('unknown_token', `Secret version ${token} has no stage for rotation of secret ${arn}.`);
    const log = (outcome: string, extra: Record<string, unknown> = {}) => {
      this.deps.logger.info('secret rotation step', { secret: arn, step: Step, version: token, outcome, ...extra });
      return { outcome };
    };
    if (stages.includes('AWSCURRENT')) {
      if (Step === 'finishSecret' && stages.includes('AWSPENDING')) {
        await this.deps.secrets.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
      }
      return log('already current');
    }
    if (!stages.includes('AWSPENDING')) throw new SecretRotationError('not_pending', `Secret version ${token} is not AWSPENDING for rotation of secret ${arn}.`);

    switch (Step) {
      case 'createSecret':
        return log(...(await this.createSecret(arn, meta.Name ?? arn, token)));
      case 'setSecret':
        return log('nothing to set: Keywarden made the key live when it rotated it');
      case 'testSecret':
        return log(...(await this.testSecret(arn, token)));
      case 'finishSecret': {
        const current = Object.entries(meta.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
        await this.deps.secrets.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
        await this.deps.secrets.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
        return log('current', { previousVersion: current });
      }
    }
  }

  private async createSecret(arn: string, name: string, token: string): Promise<[string, Record<string, unknown>]> {
    const current = await this.read(arn, { VersionStage: 'AWSCURRENT' });
    if (!current) throw new SecretRotationError('no_current', `Secret ${arn} has no AWSCURRENT value.`);
    if (await this.read(arn, { VersionId: token, VersionStage: 'AWSPENDING' })) return ['already created', {}];
    this.requireOwnApi(arn, current);

    const me = await this.me(current.apiKey, `the key in ${arn} (AWSCURRENT)`);
    if (current.keyId !== undefined && current.keyId !== me.id) {
      throw new SecretRotationError('key_mismatch', `Secret ${arn} names key ${current.keyId}, but its apiKey is key ${me.id}.`);
    }
    const actorKey = await this.actorKey([arn, name], current.apiKey);
    const actor = this.api(actorKey);

    let target = me.id;
    let overlap: string | undefined = this.deps.overlap;
    if (me.replacedBy) {
      // Rotated already. By this rotation (its token's mark, copied from the key to each
      // replacement) and never stored: the value is lost, so the newest replacement is rotated
      // again, at once. Earlier lost ones were stopped the same way when they were replaced.
      let replacement = unwrap(await actor.call('getKey', { params: { id: me.replacedBy } }), `read replacement ${me.replacedBy}`);
      for (let hop = 0; replacement.replacedBy && replacement.metadata[ROTATION_MARK] === token && hop < MAX_LOST_REPLACEMENTS; hop++) {
        const next = replacement.replacedBy;
        replacement = unwrap(await actor.call('getKey', { params: { id: next } }), `read replacement ${next}`);
      }
      if (replacement.metadata[ROTATION_MARK] !== token || replacement.replacedBy || replacement.status !== 'active') {
        throw new SecretRotationError(
          'rotated_elsewhere',
          `Key ${me.id} in ${arn} was already rotated (replacement ${me.replacedBy}) outside this rotation: put the key that replaced it in the secret, then rotate again.`,
        );
      }
      target = replacement.id;
      overlap = undefined;
    } else if (me.metadata[ROTATION_MARK] !== token) {
      unwrap(
        await actor.call(
          'updateKey',
          { params: { id: me.id }, body: { metadata: { ...me.metadata, [ROTATION_MARK]: token } } },
          { headers: { 'If-Match': String(me.version) } },
        ),
        `mark key ${me.id} with the rotation`,
      );
    }

    const issued = unwrap(await actor.call('rotateKey', { params: { id: target }, body: overlap ? { overlap } : {} }), `rotate key ${target}`);
    const next: SecretValue = { ...current, apiKey: issued.key, keyId: issued.id, baseUrl: current.baseUrl ?? this.deps.apiUrl };
    await this.deps.secrets.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: JSON.stringify(next), VersionStages: ['AWSPENDING'] }),
    );
    return target === me.id
      ? ['rotated', { oldKey: me.id, newKey: issued.id, newKeyStart: issued.start, oldKeyUntil: issued.replaced?.graceUntil ?? null }]
      : ['rotated the lost replacement again', { oldKey: me.id, lostKey: target, newKey: issued.id, newKeyStart: issued.start, oldKeyUntil: me.graceUntil }];
  }

  private async testSecret(arn: string, token: string): Promise<[string, Record<string, unknown>]> {
    const pending = await this.read(arn, { VersionId: token, VersionStage: 'AWSPENDING' });
    if (!pending) throw new SecretRotationError('no_pending', `Secret ${arn} has no value under AWSPENDING for version ${token}.`);
    this.requireOwnApi(arn, pending);
    const me = await this.me(pending.apiKey, `the key in ${arn} (AWSPENDING)`);
    if (pending.keyId !== me.id) throw new SecretRotationError('key_mismatch', `The AWSPENDING key in ${arn} is key ${me.id}, not ${String(pending.keyId)}.`);
    return ['works', { key: me.id, keyStart: me.start }];
  }

  /** The rotator key, or the stored key itself when there is none (or this is the rotator's own secret). */
  private async actorKey(secret: readonly string[], ownKey: string): Promise<string> {
    const rotator = this.deps.rotatorSecretId;
    if (!rotator || secret.includes(rotator)) return ownKey;
    const value = await this.read(rotator, { VersionStage: 'AWSCURRENT' });
    if (!value || value.apiKey === undefined) throw new SecretRotationError('no_rotator', `The rotator secret ${rotator} has no AWSCURRENT apiKey.`);
    return value.apiKey;
  }

  /** A version's value, parsed; undefined when the version or label has none (not yet created). */
  private async read(secretId: string, version: { VersionId?: string; VersionStage: string }): Promise<SecretValue | undefined> {
    let text: string | undefined;
    try {
      text = (await this.deps.secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...version }))).SecretString;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
    // Parse errors are not passed on: JSON.parse's message quotes the text, which holds a key.
    let json: unknown;
    try {
      json = JSON.parse(text ?? '');
    } catch {
      json = undefined;
    }
    const value = SecretValue.safeParse(json);
    if (!value.success) {
      throw new SecretRotationError('bad_value', `Secret ${secretId} (${version.VersionStage}) is not JSON with a string apiKey: see docs/operating.md for its format.`);
    }
    return value.data;
  }

  /** Keys go to the configured API only: a secret that names another is refused, not followed. */
  private requireOwnApi(arn: string, value: SecretValue): void {
    if (value.baseUrl !== undefined && apiBase(value.baseUrl) !== apiBase(this.deps.apiUrl)) {
      throw new SecretRotationError('other_api', `Secret ${arn} names baseUrl ${value.baseUrl}, not this function's Keywarden API (${this.deps.apiUrl}).`);
    }
  }

  private async me(key: string, what: string): Promise<ApiMe> {
    const answer = await this.api(key).call('getMe', {});
    if (!answer.ok) throw refusal(answer.error, `check ${what}`);
    return answer.value;
  }

  private api(key: string): KeywardenApi {
    return new KeywardenApi({ baseUrl: this.deps.apiUrl, key, ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}) });
  }
}

/** `https://x/v1/` and `https://x` name the same API. */
function apiBase(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

function unwrap<T>(answer: { ok: true; value: T } | { ok: false; error: ApiError }, what: string): T {
  if (!answer.ok) throw refusal(answer.error, what);
  return answer.value;
}

function refusal(error: ApiError, what: string): SecretRotationError {
  return new SecretRotationError(error.code, `Keywarden refused to ${what}: ${error.status} ${error.code}: ${error.message}`);
}
