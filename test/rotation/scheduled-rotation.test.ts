import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationSchedule } from '../../lambdas/adapters/rotation-delivery-wiring';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * Issue 25 point 2: a key with `rotation` is rotated by the daily job (what `keywarden reminders
 * run` and the scheduled AWS function run: lambdas/adapters/rotation-delivery-wiring.ts) once it is
 * due, its new value written into the customer's secret — the Secrets Manager stand-in, through
 * the AWS SDK — as AWSCURRENT, the old key working through the overlap. A secret that refuses the
 * value leaves the old key working and no replacement usable, and the admins see why.
 */
const DAY = 86_400_000;
let stack: TestStack;
let sm: SecretsManagerStandIn;
let client: SecretsManagerClient;

beforeAll(async () => {
  stack = await startTestStack();
  sm = await startSecretsManagerStandIn();
  client = new SecretsManagerClient({ endpoint: sm.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});
afterAll(async () => {
  await stack?.stop();
  await sm?.close();
});

const run = () => keyRotationSchedule(stack.services, { secretsManager: client }).run();
const works = async (key: string) => (await stack.json('/v1/models', { key })).status;

async function createRotated(name: string, secretArn: string) {
  const res = await stack.json('/v1/keys', {
    key: stack.adminKey,
    body: { name, type: 'privileged', scopes: ['models:read', 'keys:read'], expiresIn: '365d', rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: secretArn } } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string };
}

/** A customer's secret holding the key, tagged for delivery from `projectId` (docs/operating.md). */
async function newSecret(name: string, apiKey: string, keyId: string, projectId = stack.bootstrap.projectId): Promise<string> {
  const Tags = [{ Key: 'keywarden-delivery', Value: projectId }];
  const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ apiKey, keyId }), Tags }));
  return out.ARN!;
}

describe('rotation on schedule, into Secrets Manager', { timeout: 60_000 }, () => {
  it('is set on create, validated, and shown on the key with its next run', async () => {
    const bad = await stack.json('/v1/keys', { key: stack.adminKey, body: { rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: 'not-an-arn' } } } });
    expect(bad.status).toBe(400);
    const zero = await stack.json('/v1/keys', { key: stack.adminKey, body: { rotation: { every: '90d', overlap: '0s', deliverTo: { owner: 'slack:T1:U1' } } } });
    expect(zero.status).toBe(400);
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shown-AbCdEf';
    const created = await createRotated('shown', arn);
    const got = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey });
    expect(got.body.rotation).toMatchObject({ every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: arn }, lastFailure: null });
    expect(Date.parse(got.body.rotation.nextRotationAt) - Date.parse(got.body.createdAt)).toBe(90 * DAY);
    // PATCH changes and removes it; the audit shows the change in words.
    const patched = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: null } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.rotation).toBeNull();
    await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'DELETE' });
  });

  it('rotates a due key, puts the new value under AWSCURRENT, and keeps the old key working through the overlap', async () => {
    const created = await createRotated('billing-sync', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:placeholder-AbCdEf');
    const arn = await newSecret('billing-sync', created.key, created.id);
    const set = await stack.json(`/v1/keys/${created.id}`, {
      key: stack.adminKey,
      method: 'PATCH',
      body: { rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: arn } } },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);

    // Not due yet: nothing happens.
    expect((await run()).rotated).toBe(0);
    stack.clock.advance(90 * DAY + 60_000);
    const report = await run();
    expect(report).toMatchObject({ rotated: 1, undelivered: 0 });

    const current = JSON.parse((await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!);
    expect(current.apiKey).not.toBe(created.key);
    expect(current.keyId).not.toBe(created.id);
    expect(current.baseUrl).toMatch(/\/v1$/);
    const stages = sm.versions(arn);
    expect(stages.find((v) => v.stages.includes('AWSCURRENT'))!.value).toContain(current.keyId);
    expect(stages.find((v) => v.stages.includes('AWSPREVIOUS'))!.value).toContain(created.id);

    expect(await works(current.apiKey)).toBe(200);
    expect(await works(created.key)).toBe(200);
    const old = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey });
    expect(old.body).toMatchObject({ replacedBy: current.keyId, status: 'active' });
    // The replacement carries the schedule on, and the next rotation is `every` after it.
    const replacement = await stack.json(`/v1/keys/${current.keyId}`, { key: stack.adminKey });
    expect(replacement.body.rotation).toMatchObject({ every: '90d', deliverTo: { secretsManagerArn: arn } });
    expect(replacement.body.createdBy).toMatch(/^key:key_/);
    // A second run the same day rotates nothing more.
    expect((await run()).rotated).toBe(0);

    stack.clock.advance(61 * 60_000);
    expect(await works(created.key)).toBe(401);
    expect(await works(current.apiKey)).toBe(200);
  });

  it('a secret tagged for another project is never written: the rotation is undone', async () => {
    const created = await createRotated('elsewhere', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:placeholder-AbCdEf');
    const arn = await newSecret('other-projects-secret', 'untouched', 'key_other', 'proj_someoneelse');
    await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: arn } } } });
    stack.clock.advance(90 * DAY + 60_000);
    expect((await run()).undelivered).toBeGreaterThanOrEqual(1);
    expect(sm.versions(arn)).toHaveLength(1);
    expect(JSON.parse((await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!).apiKey).toBe('untouched');
    const old = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey });
    expect(old.body.rotation.lastFailure.reason).toContain(`not tagged keywarden-delivery=${stack.bootstrap.projectId}`);
    expect(await works(created.key)).toBe(200);
  });

  it('a secret that refuses the value: the rotation is undone, the old key works on, no replacement is usable, the admins see why', async () => {
    const created = await createRotated('refused', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:placeholder-AbCdEf');
    const arn = await newSecret('refused', created.key, created.id);
    // Daily, so nothing else of this file is due in the run below: the stand-in's one failure is this key's.
    await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '1d', overlap: '1h', deliverTo: { secretsManagerArn: arn } } } });
    stack.clock.advance(DAY + 60_000);
    sm.failNext('PutSecretValue');
    expect((await run()).undelivered).toBeGreaterThanOrEqual(1);

    const old = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey });
    expect(old.body).toMatchObject({ status: 'active', replacedBy: null, graceUntil: null });
    expect(old.body.rotation.lastFailure.reason).toMatch(/PutSecretValue.*InternalServiceError/);
    expect(JSON.parse((await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!).apiKey).toBe(created.key);
    // Past any overlap, the old key still works.
    stack.clock.advance(2 * 3_600_000);
    expect(await works(created.key)).toBe(200);

    const listed = await stack.json('/v1/keys?search=refused&limit=50', { key: stack.adminKey });
    const replacements = listed.body.data.filter((k: { rotatedFrom: string | null }) => k.rotatedFrom === created.id);
    expect(replacements).toHaveLength(1);
    expect(replacements[0].status).toBe('revoked');

    const audit = await stack.json(`/v1/audit?keyId=${created.id}&limit=50`, { key: stack.adminKey });
    const failure = audit.body.data.find((r: { action: string; outcome: string }) => r.action === 'key.rotate' && r.outcome === 'error');
    expect(failure?.reason).toMatch(/scheduled rotation undone: the new value could not be delivered/);
  });

  it('a missing secret or an owner this job cannot reach: no rotation at all, the failure on the key and in the audit', async () => {
    const missing = await createRotated('nobody-home', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nobody-home-AbCdEf');
    const owned = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'owned', rotation: { every: '1d', overlap: '1h', deliverTo: { owner: 'slack:T1:UOWNER' } } } })).body;
    stack.clock.advance(90 * DAY + 60_000);
    await run();
    for (const [key, reason] of [
      [missing, /DescribeSecret.*ResourceNotFoundException/],
      [owned, /private delivery to a chat owner is not available/],
    ] as const) {
      const now = await stack.json(`/v1/keys/${key.id}`, { key: stack.adminKey });
      expect(now.body).toMatchObject({ status: 'active', replacedBy: null });
      expect(now.body.rotation.lastFailure.reason).toMatch(reason);
      expect(await works(key.key)).toBe(200);
      const listed = await stack.json(`/v1/keys?search=${now.body.name}&limit=50`, { key: stack.adminKey });
      expect(listed.body.data.filter((k: { rotatedFrom: string | null }) => k.rotatedFrom === key.id)).toEqual([]);
      const audit = await stack.json(`/v1/audit?keyId=${key.id}&limit=50`, { key: stack.adminKey });
      expect(audit.body.data.some((r: { outcome: string; reason?: string }) => r.outcome === 'error' && /scheduled rotation not done/.test(r.reason ?? ''))).toBe(true);
    }
  });
});
