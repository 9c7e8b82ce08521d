import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationSchedule } from '../../lambdas/adapters/rotation-delivery-wiring';
import { roleSessionName } from '../../lambdas/adapters/sts-credentials';
import type { StoredEvent } from '../../lambdas/core/events';
import { findKeysInText } from '../../lambdas/core/key-scan';
import { expectApiError } from '../support/api-error';
import { captureOutput } from '../support/capture';
import { startTestStack, type TestStack } from '../support/local-stack';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { startStsStandIn, type StsStandIn } from '../support/sts-stand-in';

/**
 * Cross-account rotation delivery (issue 25 point 2, "the customer grants a role";
 * docs/operating.md §12), end to end: keys set over HTTP on the local stack (dynalite) that knows
 * its own account (KEYWARDEN_ACCOUNT_ID), the daily job as `keywarden reminders run` and the
 * rotations function run it (rotation-delivery-wiring.ts), the AWS SDK's STS client against the
 * STS stand-in (trust = Keywarden's rotations role + ExternalId = the project id), and the
 * customer's account as a second Secrets Manager stand-in that admits only the assumed role's
 * temporary credentials — Keywarden's own client points at it too, and is refused there.
 */
const DAY = 86_400_000;
const HOME = '123456789012';
const CUSTOMER = '444455556666';
const KEYWARDEN_KEY_ID = 'AKIAKEYWARDENROTATIONS';
const ROLE = `arn:aws:iam::${CUSTOMER}:role/keywarden-delivery-billing`;
/** A role of the same customer trusting another project: a key of ours aimed at it is the confused deputy. */
const OTHER_PROJECTS_ROLE = `arn:aws:iam::${CUSTOMER}:role/keywarden-delivery-other`;

let stack: TestStack;
let sts: StsStandIn;
let customer: SecretsManagerStandIn;
let admin: SecretsManagerClient;
let own: SecretsManagerClient;
let stsClient: STSClient;
let putsGranted = true;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ACCOUNT_ID: HOME });
  sts = await startStsStandIn([
    { roleArn: ROLE, trustedAccessKeyId: KEYWARDEN_KEY_ID, externalId: stack.bootstrap.projectId },
    { roleArn: OTHER_PROJECTS_ROLE, trustedAccessKeyId: KEYWARDEN_KEY_ID, externalId: 'proj_someoneelse000000' },
  ]);
  customer = await startSecretsManagerStandIn({
    account: CUSTOMER,
    region: 'eu-west-1',
    // The customer's IAM: their admin, and the two roles' temporary credentials — PutSecretValue
    // only while the role's policy grants it (`putsGranted`; the stand-in records a call before asking).
    accepts: (signer) => {
      if (signer.accessKeyId === 'AKIACUSTOMERADMIN') return true;
      if (!putsGranted && customer.calls.at(-1)?.operation === 'PutSecretValue') return false;
      return sts.holdsRole(ROLE, signer) || sts.holdsRole(OTHER_PROJECTS_ROLE, signer);
    },
  });
  const at = (accessKeyId: string) => ({ endpoint: customer.endpoint, region: 'eu-west-1', credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
  admin = new SecretsManagerClient(at('AKIACUSTOMERADMIN'));
  own = new SecretsManagerClient(at(KEYWARDEN_KEY_ID));
  stsClient = new STSClient({ endpoint: sts.endpoint, region: 'us-east-1', credentials: { accessKeyId: KEYWARDEN_KEY_ID, secretAccessKey: 'x' }, maxAttempts: 1 });
});
afterAll(async () => {
  await stack?.stop();
  await sts?.close();
  await customer?.close();
});

const run = () => keyRotationSchedule(stack.services, { secretsManager: own, sts: stsClient, env: { SECRETS_MANAGER_ENDPOINT: customer.endpoint } }).run();
const works = async (key: string) => (await stack.json('/v1/models', { key })).status;
const customerSecret = (name: string) => `arn:aws:secretsmanager:eu-west-1:${CUSTOMER}:secret:${name}-AbCdEf`;

/** The customer's secret holding the key, tagged for our project (the second consent). */
async function newSecret(name: string, key: { id: string; key: string }): Promise<string> {
  const Tags = [{ Key: 'keywarden-delivery', Value: stack.bootstrap.projectId }];
  return (await admin.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ apiKey: key.key, keyId: key.id }), Tags }))).ARN!;
}

async function createRotated(name: string, deliverTo: Record<string, string>, every = '1d') {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name, scopes: ['models:read'], rotation: { every, overlap: '1h', deliverTo } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string; start: string };
}

async function failedEvents(keyId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 200, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.filter((e) => e.event.type === 'key.rotation_failed' && e.event.data.key?.id === keyId));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Nothing rotated, the old key working, the reason on the key, in the audit and in one key.rotation_failed; no value anywhere. */
async function expectNotRotated(created: { id: string; key: string }, reason: RegExp) {
  const now = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey });
  expect(now.body).toMatchObject({ status: 'active', replacedBy: null });
  expect(now.body.rotation.lastFailure.reason).toMatch(reason);
  expect(await works(created.key)).toBe(200);
  const listed = await stack.json(`/v1/keys?search=${now.body.name}&limit=50`, { key: stack.adminKey });
  expect(listed.body.data.filter((k: { rotatedFrom: string | null }) => k.rotatedFrom === created.id)).toEqual([]);
  const audit = await stack.json(`/v1/audit?keyId=${created.id}&limit=50`, { key: stack.adminKey });
  const record = audit.body.data.find((r: { outcome: string; reason?: string }) => r.outcome === 'error' && /scheduled rotation not done/.test(r.reason ?? ''));
  expect(record?.reason).toMatch(reason);
  const events = await failedEvents(created.id);
  expect(events).toHaveLength(1);
  expect(events[0]!.event.data.details).toMatchObject({ targetKind: 'secrets_manager', stage: 'preflight' });
  for (const text of [JSON.stringify(now.body), JSON.stringify(audit.body), JSON.stringify(events)]) {
    expect(text).not.toContain(created.key);
    expect(findKeysInText(text)).toEqual([]);
  }
}

describe('cross-account delivery, set time (over HTTP)', { timeout: 60_000 }, () => {
  const home = `arn:aws:secretsmanager:us-east-1:${HOME}:secret:own-AbCdEf`;

  it("refuses a secret in another account without the customer's role, a role of a third account, a role not named keywarden-delivery-…", async () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ secretsManagerArn: customerSecret('no-role') }, 'rotation.deliverTo', /in account 444455556666, not Keywarden's: set roleArn/],
      [{ secretsManagerArn: customerSecret('third'), roleArn: 'arn:aws:iam::777788889999:role/keywarden-delivery-x' }, 'rotation.deliverTo.roleArn', /role in the secret's account \(444455556666\), not 777788889999/],
      [{ secretsManagerArn: customerSecret('named'), roleArn: `arn:aws:iam::${CUSTOMER}:role/admin` }, 'rotation.deliverTo.roleArn', /roleArn must be an IAM role ARN named keywarden-delivery-/],
      [{ secretsManagerArn: customerSecret('path'), roleArn: `arn:aws:iam::${CUSTOMER}:role/team/keywarden-delivery-x` }, 'rotation.deliverTo.roleArn', /keywarden-delivery-/],
    ];
    for (const [deliverTo, param, message] of cases) {
      const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'refused-at-set', rotation: { every: '90d', overlap: '1h', deliverTo } } });
      expectApiError(res, 400, 'invalid_request_error');
      expect(res.body.error.message, JSON.stringify(deliverTo)).toMatch(message);
      expect(String(res.body.error.param)).toContain(param);
    }
    const listed = await stack.json('/v1/keys?search=refused-at-set&limit=50', { key: stack.adminKey });
    expect(listed.body.data).toEqual([]);
  });

  it('takes its own account’s secret without a role and another’s with one; PATCH holds the same rule', async () => {
    const created = await createRotated('set-time', { secretsManagerArn: home }, '90d');
    const cross = { secretsManagerArn: customerSecret('set-time'), roleArn: ROLE };
    const patched = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '90d', overlap: '1h', deliverTo: cross } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.rotation.deliverTo).toEqual(cross);
    const refused = await stack.json(`/v1/keys/${created.id}`, {
      key: stack.adminKey,
      method: 'PATCH',
      body: { rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: customerSecret('set-time') } } },
    });
    expectApiError(refused, 400, 'invalid_request_error');
    expect(refused.body.error.message).toMatch(/set roleArn/);
    expect((await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey })).body.rotation.deliverTo).toEqual(cross);
    await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'DELETE' });
  });
});

describe('cross-account delivery, the daily job', { timeout: 60_000 }, () => {
  it("writes the new value into the customer's secret as AWSCURRENT, signed by the assumed role (not Keywarden's own credentials)", async () => {
    const logs = captureOutput({ loggers: [stack.services.logger] });
    let created: { id: string; key: string };
    let current: { apiKey: string; keyId: string };
    try {
      created = await createRotated('billing-xacct', { secretsManagerArn: customerSecret('placeholder'), roleArn: ROLE }, '90d');
      const arn = await newSecret('billing-xacct', created);
      const set = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: arn, roleArn: ROLE } } } });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      stack.clock.advance(90 * DAY + 60_000);
      expect(await run()).toMatchObject({ rotated: 1, undelivered: 0 });

      current = JSON.parse((await admin.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!);
      expect(current.keyId).not.toBe(created.id);
      const versions = customer.versions(arn);
      expect(versions.find((v) => v.stages.includes('AWSCURRENT'))!.value).toContain(current.keyId);
      expect(versions.find((v) => v.stages.includes('AWSPREVIOUS'))!.value).toContain(created.id);
      expect(await works(current.apiKey)).toBe(200);
      expect(await works(created.key)).toBe(200);

      // Assumed once for the run, as the key, with the project as ExternalId, for 15 minutes.
      const assumed = sts.calls.filter((c) => c.roleArn === ROLE);
      expect(assumed).toHaveLength(1);
      expect(assumed[0]).toMatchObject({ externalId: stack.bootstrap.projectId, sessionName: roleSessionName(created.id), durationSeconds: 900, callerAccessKeyId: KEYWARDEN_KEY_ID, granted: true });
      // Every call on the customer's secret by the job was signed with the role's temporary credentials.
      const byJob = customer.calls.filter((c) => c.secretId === arn && c.accessKeyId !== 'AKIACUSTOMERADMIN');
      expect(byJob.map((c) => c.operation)).toEqual(['DescribeSecret', 'DescribeSecret', 'PutSecretValue']);
      for (const c of byJob) {
        expect(c.accessKeyId).toMatch(/^ASIA/);
        expect(c.sessionToken).toBe(true);
        expect(sts.issued.get(c.accessKeyId)?.roleArn).toBe(ROLE);
      }
      expect(customer.calls.some((c) => c.accessKeyId === KEYWARDEN_KEY_ID)).toBe(false);
    } finally {
      logs.stop();
    }
    const text = logs.text();
    expect(text).toContain('key rotation schedule');
    expect(text).not.toContain(created!.key);
    expect(text).not.toContain(current!.apiKey);
    for (const held of sts.issued.values()) expect(text).not.toContain(held.sessionToken);
    expect(findKeysInText(text)).toEqual([]);
  });

  it("keys of one project into one role: assumed once per run; a put the role may not make undoes the rotations, the next day's run delivers", async () => {
    const keys = [await createRotated('same-role-a', { secretsManagerArn: customerSecret('placeholder'), roleArn: ROLE }, '2d')];
    keys.push(await createRotated('same-role-b', { secretsManagerArn: customerSecret('placeholder'), roleArn: ROLE }, '2d'));
    const arns = [await newSecret('same-role-a', keys[0]!), await newSecret('same-role-b', keys[1]!)];
    for (const [i, key] of keys.entries()) {
      const set = await stack.json(`/v1/keys/${key.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '2d', overlap: '1h', deliverTo: { secretsManagerArn: arns[i], roleArn: ROLE } } } });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
    }
    const assumedSince = (n: number) => sts.calls.slice(n).map((c) => [c.roleArn, c.externalId, c.granted]);
    let before = sts.calls.length;
    stack.clock.advance(2 * DAY + 60_000);
    putsGranted = false;
    try {
      expect(await run()).toMatchObject({ rotated: 0, undelivered: 2 });
    } finally {
      putsGranted = true;
    }
    expect(assumedSince(before)).toEqual([[ROLE, stack.bootstrap.projectId, true]]);
    for (const [i, key] of keys.entries()) {
      const now = (await stack.json(`/v1/keys/${key.id}`, { key: stack.adminKey })).body;
      expect(now).toMatchObject({ status: 'active', replacedBy: null, graceUntil: null });
      expect(now.rotation.lastFailure.reason).toMatch(/PutSecretValue.*AccessDeniedException/);
      expect(JSON.stringify(now)).not.toContain(key.key);
      expect(await works(key.key)).toBe(200);
      expect(JSON.parse((await admin.send(new GetSecretValueCommand({ SecretId: arns[i] }))).SecretString!).apiKey).toBe(key.key);
      const events = await failedEvents(key.id);
      expect(events.map((e) => e.event.data.details.stage)).toEqual(['delivery']);
      expect(JSON.stringify(events)).not.toContain(key.key);
    }

    // A day later the job tries again: granted now, both delivered, the role assumed once.
    before = sts.calls.length;
    stack.clock.advance(DAY + 60_000);
    expect(await run()).toMatchObject({ rotated: 2, undelivered: 0 });
    expect(assumedSince(before)).toEqual([[ROLE, stack.bootstrap.projectId, true]]);
    for (const [i, key] of keys.entries()) {
      const current = JSON.parse((await admin.send(new GetSecretValueCommand({ SecretId: arns[i] }))).SecretString!);
      expect(current.keyId).not.toBe(key.id);
      expect(await works(current.apiKey)).toBe(200);
    }
  });

  it('a stalled STS is bounded: nothing rotated, the failure recorded', async () => {
    const created = await createRotated('stalled-sts', { secretsManagerArn: customerSecret('placeholder'), roleArn: ROLE });
    const arn = await newSecret('stalled-sts', created);
    await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '1d', overlap: '1h', deliverTo: { secretsManagerArn: arn, roleArn: ROLE } } } });
    stack.clock.advance(DAY + 60_000);
    sts.stallNext();
    const started = Date.now();
    expect((await run()).undelivered).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectNotRotated(created, /could not assume .*keywarden-delivery-billing.*: STS did not answer within 5000 ms/);
    expect(customer.versions(arn)).toHaveLength(1);
  });

  it("a role trusting another project (wrong ExternalId): AccessDenied, nothing rotated, the customer's secret untouched", async () => {
    const created = await createRotated('confused-deputy', { secretsManagerArn: customerSecret('placeholder'), roleArn: OTHER_PROJECTS_ROLE });
    const arn = await newSecret('confused-deputy', created);
    await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '1d', overlap: '1h', deliverTo: { secretsManagerArn: arn, roleArn: OTHER_PROJECTS_ROLE } } } });
    stack.clock.advance(DAY + 60_000);
    await run();
    expect(sts.calls.filter((c) => c.roleArn === OTHER_PROJECTS_ROLE).map((c) => [c.externalId, c.granted])).toEqual([[stack.bootstrap.projectId, false]]);
    await expectNotRotated(created, /could not assume .*keywarden-delivery-other with ExternalId proj_.*AccessDenied/);
    expect(customer.versions(arn)).toHaveLength(1);
    expect(customer.calls.filter((c) => c.secretId === arn && c.accessKeyId !== 'AKIACUSTOMERADMIN')).toEqual([]);
  });
});
