/**
 * Issue 22 point 3, SSRF through the whole path (registration, then every delivery): a name that
 * resolves to a private address is refused when the webhook is added; a name that resolved to a
 * public address then, and to a private one at delivery time (DNS rebinding), is refused at
 * connect time and logged as a failed attempt; a receiver's redirect is never followed. Names
 * resolve through a resolver of the test's own (there is no DNS here); everything else is real:
 * dynalite, the relay, the sender, servers on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { WebhookSender } from '../../lambdas/adapters/webhook-sender';
import { loadConfig } from '../../lambdas/config';
import type { Principal } from '../../lambdas/core/principal';
import { buildServices, type Services } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { createTable, startDynalite } from '../support/dynalite';
import { startReceiver } from '../support/webhook-receiver';

let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let services: Services;
let operator: Principal;
let projectId: string;
/** What each name resolves to now: the test changes it between registration and delivery. */
const dns = new Map<string, string>();
/** The hashing secret the services read (a test rotates it). */
const secretValues: Record<string, unknown> = { hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'bot-secret' } };

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTable(dynalite.endpoint, 'webhook-targets-test');
  const secrets = new StaticSecretsProvider(secretValues);
  // Loopback allowed (as locally), so a name resolving to 127.0.0.1 reaches the test's servers;
  // private networks and metadata never are.
  const transport = new WebhookSender({ allowLoopback: true }, async (host) => {
    const address = dns.get(host);
    if (!address) throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  });
  services = buildServices(loadConfig({ TABLE_NAME: 'webhook-targets-test', DYNAMODB_ENDPOINT: dynalite.endpoint }), { secrets, clock: new OffsetClock(), webhookTransport: transport });
  const accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
  const { project } = await services.operator.createProject({ accountId, name: 'p', actor: 'cli:test' });
  // The project's own creation (its Automator key's key.created) delivered now, before any webhook of the tests exists.
  await services.relay.runDue();
  projectId = project.id;
  operator = { kind: 'operator', actor: 'cli:test', projectId };
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

async function add(url: string) {
  return services.webhooks.create(operator, { url, events: ['key.created'] });
}

describe('webhook targets, registration to delivery', () => {
  it('a name resolving to a private, metadata or loopback address is refused when added', async () => {
    dns.set('internal.example.com', '10.0.0.5');
    dns.set('metadata.example.com', '169.254.169.254');
    dns.set('mapped.example.com', '::ffff:192.168.0.1');
    for (const host of ['internal.example.com', 'metadata.example.com', 'mapped.example.com', 'missing.example.com']) {
      await expect(add(`https://${host}/hook`), host).rejects.toMatchObject({ code: 'invalid_request_error', context: { param: 'url' } });
    }
    expect(await services.webhooks.list(operator)).toEqual([]);
  });

  it('a name that turns private after it was added (DNS rebinding) is refused at connect time, and the log says why', async () => {
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    // Registered over https while the name resolves to a public address...
    dns.set('rebind.example.com', '93.184.216.34');
    const { webhook } = await add(`https://rebind.example.com:${port}/hook`);
    // ... and resolves to the metadata address by the time the event goes out.
    dns.set('rebind.example.com', '169.254.169.254');
    await services.keys.create(operator, { name: 'rebinding' });
    await services.relay.runDue();
    const log = await services.store.listDeliveries(webhook.id, { limit: 10 });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/^refused: rebind\.example\.com resolves to a linkLocal address/) });
    expect(receiver.received).toHaveLength(0);
    await services.webhooks.remove(operator, webhook.id);
    await receiver.close();
  });

  it('a redirect is never followed: a failed attempt, and the place it points to is never reached', async () => {
    let reached = 0;
    const elsewhere: Server = createServer((_req, res) => {
      reached++;
      res.end();
    });
    elsewhere.listen(0, '127.0.0.1');
    await once(elsewhere, 'listening');
    const receiver = await startReceiver(() => 302, { location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/` });
    const { webhook } = await add(receiver.url);
    await services.keys.create(operator, { name: 'redirected' });
    await services.relay.runDue();
    expect(receiver.received).toHaveLength(1);
    expect(reached).toBe(0);
    const log = await services.store.listDeliveries(webhook.id, { limit: 10 });
    expect(log.items[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 302, lastError: 'redirect 302 (not followed)' });
    await services.webhooks.remove(operator, webhook.id);
    await receiver.close();
    elsewhere.close();
  });

  it('a webhook sealed under the previous hashing secret is sealed again under the current one, and outlives the rotation', async () => {
    const { webhook, secret } = await add('http://127.0.0.1:9/hook');
    secretValues.hashing = { current: 'the next hashing secret', previous: 'test-hashing-secret' };
    try {
      const stored = await services.store.getWebhook(projectId, webhook.id);
      expect(await services.webhooks.unseal(stored!)).toBe(secret);
      const resealed = await services.store.getWebhook(projectId, webhook.id);
      expect(resealed!.sealedSecret).not.toBe(stored!.sealedSecret);
      // The rotation ends: only the new secret remains, and the webhook still signs.
      secretValues.hashing = { current: 'the next hashing secret' };
      expect(await services.webhooks.unseal(resealed!)).toBe(secret);
      // A webhook removed meanwhile is not brought back by a late re-seal.
      await services.webhooks.remove(operator, webhook.id);
      secretValues.hashing = { current: 'a third one', previous: 'the next hashing secret' };
      expect(await services.webhooks.unseal(resealed!)).toBe(secret);
      expect(await services.store.getWebhook(projectId, webhook.id)).toBeUndefined();
    } finally {
      secretValues.hashing = { current: 'test-hashing-secret' };
    }
  });
});
