import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSecretRotation, loadRotationConfig } from '../../lambdas/handlers/secret-rotation';
import { ROTATION_MARK, ROTATION_STEPS, type RotationStep } from '../../lambdas/handlers/secret-rotation-steps';
import { captureOutput } from '../support/capture';
import { startTestStack, type TestStack } from '../support/local-stack';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';

/**
 * The rotation function end to end: the AWS SDK's Secrets Manager client against the stand-in
 * (versions, AWSPENDING / AWSCURRENT / AWSPREVIOUS), Keywarden's real local stack behind /v1, and
 * the four steps invoked in order as Secrets Manager invokes them.
 */
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:keywarden-production-secret-rotation';
const TAG = { Key: 'keywarden-rotation', Value: 'enabled' };
const TWO_HOURS = 2 * 3_600_000;

let stack: TestStack;
let sm: SecretsManagerStandIn;
let client: SecretsManagerClient;
let rotatorArn: string;
let rotatorId: string;
let seq = 0;

beforeAll(async () => {
  [stack, sm] = await Promise.all([startTestStack(), startSecretsManagerStandIn()]);
  // One attempt: a failure the stand-in is told to give is the step's failure, not retried away.
  client = new SecretsManagerClient({ endpoint: sm.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  // A rotator outlives the keys it rotates (it cannot hand out a later expiry than its own, SPEC §3).
  const rotator = await createKey({ name: 'Secrets Manager rotator', type: 'privileged', expiresIn: '730d' });
  rotatorId = rotator.id;
  rotatorArn = await createSecret('keywarden/rotator', { apiKey: rotator.key }, []);
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([stack?.stop(), sm?.close()]);
});

async function createKey(body: Record<string, unknown>) {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; start: string; type: string };
}

async function createSecret(name: string, value: unknown, tags = [TAG]): Promise<string> {
  const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value), Tags: tags }));
  return out.ARN!;
}

/** A viewer key kept in a tagged secret, as an integration would keep it. */
async function integration(extra: Record<string, unknown> = {}) {
  const key = await createKey({ name: `Billing integration ${++seq}`, type: 'viewer' });
  const arn = await createSecret(`prod/billing-${seq}/keywarden`, { apiKey: key.key, keyId: key.id, baseUrl: stack.url, ...extra });
  return { key, arn };
}

/** What Secrets Manager does when a rotation starts: rotation on, a pending version opened. */
async function startRotation(arn: string): Promise<string> {
  const out = await client.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: FUNCTION_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
  return out.VersionId!;
}

function rotation(env: Record<string, string> = {}) {
  return buildSecretRotation(
    loadRotationConfig({ KEYWARDEN_API_URL: stack.url, KEYWARDEN_ROTATOR_SECRET_ARN: rotatorArn, SECRETS_MANAGER_ENDPOINT: sm.endpoint, ...env }),
    { secrets: client },
  );
}

async function step(fn: ReturnType<typeof rotation>, arn: string, token: string, Step: RotationStep) {
  return fn.run({ SecretId: arn, ClientRequestToken: token, Step });
}

async function value(arn: string, stage: string) {
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
  return { versionId: out.VersionId!, ...(JSON.parse(out.SecretString!) as { apiKey: string; keyId: string; baseUrl: string; [k: string]: unknown }) };
}

const me = (key: string) => stack.json('/v1/me', { key });
const keyRecord = async (id: string) => (await stack.json(`/v1/keys/${id}`, { key: stack.adminKey })).body;
const puts = (arn: string) => sm.calls.filter((c) => c.operation === 'PutSecretValue' && c.secretId === arn).length;

describe('Secrets Manager rotation function', () => {
  it('rotates through the four steps: AWSCURRENT holds a new working key, AWSPREVIOUS the old one, which works until the overlap ends', async () => {
    const { key: old, arn } = await integration({ note: 'kept across versions' });
    const token = await startRotation(arn);
    const fn = rotation();
    for (const s of ROTATION_STEPS) await step(fn, arn, token, s);

    const current = await value(arn, 'AWSCURRENT');
    expect(current.versionId).toBe(token);
    expect(current.apiKey).not.toBe(old.key);
    expect(current).toMatchObject({ baseUrl: stack.url, note: 'kept across versions' });
    const now = await me(current.apiKey);
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ id: current.keyId, type: 'viewer', name: `Billing integration ${seq}`, rotatedFrom: old.id });
    expect(now.body.metadata[ROTATION_MARK]).toBe(token);

    const previous = await value(arn, 'AWSPREVIOUS');
    expect(previous).toMatchObject({ apiKey: old.key, keyId: old.id });
    expect(sm.versions(arn).filter((v) => v.stages.includes('AWSPENDING'))).toEqual([]);

    // The old key keeps working through the overlap (readers that cache the secret move over), then stops.
    const before = await me(old.key);
    expect(before.status).toBe(200);
    expect(before.body.replacedBy).toBe(current.keyId);
    expect(Date.parse(before.body.graceUntil) - Date.now()).toBeGreaterThan(TWO_HOURS - 60_000);
    expect(Date.parse(before.body.graceUntil) - Date.now()).toBeLessThanOrEqual(TWO_HOURS + 60_000);
    // The rotator key acted, and the audit says so.
    const audit = await stack.json(`/v1/audit?keyId=${old.id}`, { key: stack.adminKey });
    const rotate = (audit.body.data as Array<{ action: string; outcome?: string; actor: string }>).find((r) => r.action === 'key.rotate');
    expect(rotate?.actor).toBe(`key:${rotatorId}`);

    stack.clock.advance(TWO_HOURS + 1_000);
    try {
      expect((await me(old.key)).status).toBe(401);
      expect((await me(current.apiKey)).status).toBe(200);
    } finally {
      stack.clock.advance(-(TWO_HOURS + 1_000));
    }
  });

  it('each step retried does nothing twice: createSecret twice is one rotation, finishSecret twice keeps AWSPREVIOUS', async () => {
    const { key: old, arn } = await integration();
    const token = await startRotation(arn);
    const fn = rotation();
    for (const s of ROTATION_STEPS) {
      await step(fn, arn, token, s);
      await step(fn, arn, token, s);
    }
    expect(puts(arn)).toBe(1);
    const current = await value(arn, 'AWSCURRENT');
    const replacement = await keyRecord(current.keyId);
    expect(replacement).toMatchObject({ status: 'active', rotatedFrom: old.id, replacedBy: null });
    expect((await keyRecord(old.id)).replacedBy).toBe(current.keyId);
    expect((await value(arn, 'AWSPREVIOUS')).apiKey).toBe(old.key);
    // Secrets Manager retrying a step of a finished rotation: nothing moves.
    for (const s of ROTATION_STEPS) await expect(step(fn, arn, token, s)).resolves.toEqual({ outcome: 'already current' });
    expect((await value(arn, 'AWSCURRENT')).keyId).toBe(current.keyId);
  });

  it('createSecret retried after the rotate call succeeded but PutSecretValue failed: the lost replacement stops at once, one new key is stored', async () => {
    const { key: old, arn } = await integration();
    const token = await startRotation(arn);
    const fn = rotation();
    sm.failNext('PutSecretValue');
    await expect(step(fn, arn, token, 'createSecret')).rejects.toThrow();
    const lost = (await keyRecord(old.id)).replacedBy as string;
    expect(lost).toMatch(/^key_/);
    const graceBefore = (await keyRecord(old.id)).graceUntil;

    await step(fn, arn, token, 'createSecret');
    const pending = await value(arn, 'AWSPENDING');
    expect(pending.keyId).not.toBe(lost);
    expect(await keyRecord(lost)).toMatchObject({ status: 'revoked', replacedBy: pending.keyId });
    expect(await keyRecord(old.id)).toMatchObject({ replacedBy: lost, graceUntil: graceBefore, status: 'active' });
    for (const s of ['setSecret', 'testSecret', 'finishSecret'] as const) await step(fn, arn, token, s);
    const current = await value(arn, 'AWSCURRENT');
    expect(current.keyId).toBe(pending.keyId);
    expect((await me(current.apiKey)).status).toBe(200);
    expect((await me(old.key)).status).toBe(200);
  });

  it('createSecret dying twice in that window still ends with one working replacement, each lost one stopped', async () => {
    const { key: old, arn } = await integration();
    const token = await startRotation(arn);
    const fn = rotation();
    for (let i = 0; i < 2; i++) {
      sm.failNext('PutSecretValue');
      await expect(step(fn, arn, token, 'createSecret')).rejects.toThrow();
    }
    await step(fn, arn, token, 'createSecret');
    const first = (await keyRecord(old.id)).replacedBy as string;
    const second = (await keyRecord(first)).replacedBy as string;
    const pending = await value(arn, 'AWSPENDING');
    expect(await keyRecord(second)).toMatchObject({ status: 'revoked', replacedBy: pending.keyId });
    expect(await keyRecord(first)).toMatchObject({ status: 'revoked' });
    expect(await keyRecord(pending.keyId)).toMatchObject({ status: 'active', replacedBy: null });
    expect(puts(arn)).toBe(3);
  });

  it('refuses a token that is not the pending version, a secret without rotation, an untagged secret, and a secret naming another API', async () => {
    const fn = rotation();
    const { key, arn } = await integration();
    const token = await startRotation(arn);
    await expect(step(fn, arn, crypto.randomUUID(), 'createSecret')).rejects.toThrow(/has no stage for rotation/);
    const currentVersion = sm.versions(arn).find((v) => v.stages.includes('AWSCURRENT'))!.versionId;
    await expect(step(fn, arn, currentVersion, 'createSecret')).resolves.toEqual({ outcome: 'already current' });
    expect((await keyRecord(key.id)).replacedBy).toBeNull();

    const notRotating = await integration();
    await expect(step(fn, notRotating.arn, token, 'createSecret')).rejects.toThrow(/not enabled for rotation/);

    const untaggedKey = await createKey({ name: 'Untagged', type: 'viewer' });
    const untagged = await createSecret('prod/untagged/keywarden', { apiKey: untaggedKey.key }, []);
    await expect(step(fn, untagged, await startRotation(untagged), 'createSecret')).rejects.toThrow(/not tagged keywarden-rotation=enabled/);

    const elsewhere = await integration({ baseUrl: 'https://keys.attacker.example' });
    await expect(step(fn, elsewhere.arn, await startRotation(elsewhere.arn), 'createSecret')).rejects.toThrow(/not this function's Keywarden API/);

    for (const k of [key, untaggedKey, elsewhere.key]) expect((await keyRecord(k.id)).replacedBy).toBeNull();
  });

  it('never rotates a key the secret does not hold, nor one rotated outside the rotation', async () => {
    const fn = rotation();
    const other = await createKey({ name: 'Someone else', type: 'viewer' });
    const mine = await createKey({ name: 'Mine', type: 'viewer' });
    // The secret names another key's id: the apiKey decides, and the mismatch is refused.
    const lying = await createSecret('prod/lying/keywarden', { apiKey: mine.key, keyId: other.id });
    await expect(step(fn, lying, await startRotation(lying), 'createSecret')).rejects.toThrow(/names key .* but its apiKey is key/);
    for (const k of [mine, other]) expect((await keyRecord(k.id)).replacedBy).toBeNull();

    // An admin rotated the key by hand and did not update the secret: refused, their replacement untouched.
    const { key, arn } = await integration();
    const manual = await stack.json(`/v1/keys/${key.id}/rotate`, { key: stack.adminKey, body: { overlap: '1h' } });
    expect(manual.status).toBe(201);
    await expect(step(fn, arn, await startRotation(arn), 'createSecret')).rejects.toThrow(/already rotated .* outside this rotation/);
    expect(await keyRecord(manual.body.id)).toMatchObject({ status: 'active', replacedBy: null });
  });

  it('without a rotator, a key rotates itself only if it may manage keys: a privileged key does, a viewer key is refused', async () => {
    const fn = rotation({ KEYWARDEN_ROTATOR_SECRET_ARN: '' });
    const admin = await createKey({ name: 'Self-rotating deploy key', type: 'privileged' });
    const arn = await createSecret('ci/deploy/keywarden', { apiKey: admin.key, keyId: admin.id });
    const token = await startRotation(arn);
    for (const s of ROTATION_STEPS) await step(fn, arn, token, s);
    const current = await value(arn, 'AWSCURRENT');
    expect(await keyRecord(current.keyId)).toMatchObject({ type: 'privileged', rotatedFrom: admin.id, createdBy: `key:${admin.id}` });

    const { key: viewer, arn: viewerArn } = await integration();
    await expect(step(fn, viewerArn, await startRotation(viewerArn), 'createSecret')).rejects.toThrow(/403 insufficient_permissions/);
    expect((await keyRecord(viewer.id)).replacedBy).toBeNull();
  });

  it('rotates the rotator’s own secret with the rotator itself, and later rotations use the new rotator key', async () => {
    await client.send(new (await import('@aws-sdk/client-secrets-manager')).TagResourceCommand({ SecretId: rotatorArn, Tags: [TAG] }));
    const oldRotator = await value(rotatorArn, 'AWSCURRENT');
    const fn = rotation();
    const token = await startRotation(rotatorArn);
    for (const s of ROTATION_STEPS) await step(fn, rotatorArn, token, s);
    const newRotator = await value(rotatorArn, 'AWSCURRENT');
    expect(newRotator.apiKey).not.toBe(oldRotator.apiKey);

    const { key, arn } = await integration();
    const t2 = await startRotation(arn);
    for (const s of ROTATION_STEPS) await step(fn, arn, t2, s);
    const replacement = await keyRecord((await value(arn, 'AWSCURRENT')).keyId);
    expect(replacement).toMatchObject({ rotatedFrom: key.id, createdBy: `key:${newRotator.keyId}` });
  });

  it('writes no raw key to any log line, and logs each step', async () => {
    const capture = captureOutput();
    const seen: string[] = [];
    try {
      const fn = rotation();
      const { key, arn } = await integration();
      seen.push(key.key, (await value(rotatorArn, 'AWSCURRENT')).apiKey);
      const token = await startRotation(arn);
      for (const s of ROTATION_STEPS) await step(fn, arn, token, s);
      seen.push((await value(arn, 'AWSCURRENT')).apiKey);
      // A refusal that quotes Keywarden's answer: its message is redacted too.
      const bad = await createSecret(`prod/bad-${seq}/keywarden`, { apiKey: `${key.key}x` });
      await expect(step(fn, bad, await startRotation(bad), 'createSecret')).rejects.toThrow(/Keywarden refused/);
    } finally {
      capture.stop();
    }
    const text = capture.text();
    for (const s of ROTATION_STEPS) expect(text).toContain(`"step":"${s}"`);
    expect(text).toContain('secret rotation step failed');
    for (const raw of seen) expect(text).not.toContain(raw);
  });
});
