import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationSchedule } from '../../lambdas/adapters/rotation-delivery-wiring';
import type { StoredEvent } from '../../lambdas/core/events';
import { findKeysInText } from '../../lambdas/core/key-scan';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * Issue 25 point 2: a scheduled rotation whose value could not be delivered is announced as
 * `key.rotation_failed` (to the bus and the webhooks, through the outbox): once per failure,
 * naming the destination and the reason, never a key value. Against dynalite and the Secrets
 * Manager stand-in refusing PutSecretValue, through the AWS SDK.
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

describe('key.rotation_failed', { timeout: 60_000 }, () => {
  it('a refused delivery: announced once, with the destination and the reason, never a key value', async () => {
    const created = (
      await stack.json('/v1/keys', {
        key: stack.adminKey,
        body: { name: 'refused-event', scopes: ['models:read'], rotation: { every: '1d', overlap: '1h', deliverTo: { owner: 'slack:T1:UOWNER' } } },
      })
    ).body as { id: string; key: string; start: string };
    const Tags = [{ Key: 'keywarden-delivery', Value: stack.bootstrap.projectId }];
    const arn = (await client.send(new CreateSecretCommand({ Name: 'refused-event', SecretString: JSON.stringify({ apiKey: created.key, keyId: created.id }), Tags }))).ARN!;
    const set = await stack.json(`/v1/keys/${created.id}`, { key: stack.adminKey, method: 'PATCH', body: { rotation: { every: '1d', overlap: '1h', deliverTo: { secretsManagerArn: arn } } } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);

    stack.clock.advance(DAY + 60_000);
    sm.failNext('PutSecretValue');
    expect((await run()).undelivered).toBeGreaterThanOrEqual(1);
    const events = await failedEvents(created.id);
    expect(events).toHaveLength(1);
    const { event } = events[0]!;
    expect(event.data.key).toMatchObject({ id: created.id, name: 'refused-event', start: created.start });
    expect(event.data.details).toMatchObject({ targetKind: 'secrets_manager', target: arn, stage: 'delivery', oldKeyKept: true });
    expect(String(event.data.details.reason)).toMatch(/PutSecretValue/);
    expect(typeof event.data.details.replacement).toBe('string');
    const raw = JSON.stringify(events[0]);
    expect(raw).not.toContain(created.key);
    expect(findKeysInText(raw)).toEqual([]);
    // The event id derives from the failure: stored once, whoever stores it.
    expect(await stack.services.events.emitOnce(event)).toBe(false);

    // The same day, a run retries nothing and announces nothing more.
    await run();
    expect(await failedEvents(created.id)).toHaveLength(1);
  });

  it('a destination refused before rotating (preflight): announced once with stage preflight', async () => {
    const created = (
      await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'owned-event', rotation: { every: '1d', overlap: '1h', deliverTo: { owner: 'teams:tenant1:aad-owner' } } } })
    ).body as { id: string; key: string };
    stack.clock.advance(DAY + 60_000);
    await run();
    await run();
    const events = await failedEvents(created.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.event.data.details).toMatchObject({ targetKind: 'owner', target: 'teams:tenant1:aad-owner', stage: 'preflight' });
    expect(JSON.stringify(events[0])).not.toContain(created.key);
  });
});
