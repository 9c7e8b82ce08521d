import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EventBridgeBus, eventBusFor } from '../../lambdas/adapters/eventbridge-bus';
import type { LifecycleEvent } from '../../lambdas/core/events';

/**
 * The EventBridge bus adapter (issue 22 point 3) with the real SDK client, against a stand-in on
 * 127.0.0.1 that speaks PutEvents' JSON 1.1 protocol. What the stand-in received is the evidence:
 * batches within PutEvents' limits, the event whole in Detail, partial failures reported per
 * event, a failed call thrown, a silent bus bounded by the timeout.
 */
interface PutEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time: number;
}
interface Received {
  headers: IncomingHttpHeaders;
  entries: PutEntry[];
}
type Answer = (entries: PutEntry[], res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.closeAllConnections(), new Promise((resolve) => s.close(resolve)))));
});

const accepted: Answer = (entries, res) => json(res, 200, { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `eb-${i}` })) });

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
}

async function standIn(answer: Answer): Promise<{ endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c)).on('end', () => {
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return json(res, 400, { __type: 'UnknownOperationException' });
      const entries = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { Entries: PutEntry[] }).Entries;
      received.push({ headers: req.headers, entries });
      answer(entries, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function event(n: number, overrides: Partial<LifecycleEvent> = {}): LifecycleEvent {
  return {
    id: `evt_${String(n).padStart(22, '0')}`,
    type: 'key.rotated',
    timestamp: new Date(Date.UTC(2026, 11, 6, 12, 0, n % 60)).toISOString(),
    data: {
      account: 'acct_test',
      project: 'proj_test',
      key: { id: `key_${n}`, name: `Key ${n}`, start: 'archie_4fQa', type: 'standard' },
      actor: { id: 'slack:T1:U1', viaBot: 'slack' },
      details: { replacedBy: `key_${n + 1000}`, expiresAt: '2027-01-01T00:00:00.000Z' },
    },
    ...overrides,
  };
}

const bus = (endpoint: string, timeouts: { requestTimeoutMs?: number } = {}) =>
  new EventBridgeBus({ busName: 'keywarden-test-events', endpoint, maxAttempts: 1, ...timeouts });

describe('EventBridgeBus', () => {
  it('puts 25 events in 3 calls of at most 10, each entry the whole event under source keywarden, its type and its own time', async () => {
    const { endpoint, received } = await standIn(accepted);
    const events = Array.from({ length: 25 }, (_, i) => event(i));
    expect(await bus(endpoint).put(events)).toEqual({ failed: [] });

    expect(received.map((r) => r.entries.length)).toEqual([10, 10, 5]);
    const entries = received.flatMap((r) => r.entries);
    expect(entries.map((e) => JSON.parse(e.Detail) as LifecycleEvent)).toEqual(events);
    for (const [i, entry] of entries.entries()) {
      expect(entry.Source).toBe(EVENT_SOURCE);
      expect(entry.DetailType).toBe('key.rotated');
      expect(entry.EventBusName).toBe('keywarden-test-events');
      expect(entry.Time * 1000).toBe(Date.parse(events[i]!.timestamp));
    }
    // Signed like any AWS call (placeholder credentials), JSON 1.1.
    expect(received[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=local\//);
    expect(received[0]!.headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  it('keeps a call under 256 KB: large events split into more calls', async () => {
    const { endpoint, received } = await standIn(accepted);
    const big = (n: number) => event(n, { data: { ...event(n).data, details: { note: 'x'.repeat(60_000) } } });
    const events = Array.from({ length: 6 }, (_, i) => big(i));
    expect(await bus(endpoint).put(events)).toEqual({ failed: [] });
    expect(received.map((r) => r.entries.length)).toEqual([4, 2]);
    for (const r of received) expect(r.entries.reduce((n, e) => n + Buffer.byteLength(e.Detail), 0)).toBeLessThan(256 * 1024);
  });

  it('never carries a key value: the Detail names a key by id, name and visible start only', async () => {
    const { endpoint, received } = await standIn(accepted);
    await bus(endpoint).put([event(1), event(2, { type: 'key.created' })]);
    for (const entry of received.flatMap((r) => r.entries)) {
      const detail = JSON.parse(entry.Detail) as LifecycleEvent;
      expect(Object.keys(detail.data.key!).sort()).toEqual(['id', 'name', 'start', 'type']);
      expect(detail.data.key!.start.length).toBeLessThan(16);
      expect(entry.Detail).not.toMatch(/"(key|rawKey|secret|apiKey)":"[A-Za-z]+_[A-Za-z0-9]{20,}"/);
    }
  });

  it('reports the entries the API refused, with their error, and not the ones it took', async () => {
    const { endpoint } = await standIn((entries, res) =>
      json(res, 200, {
        FailedEntryCount: 2,
        Entries: entries.map((_, i) =>
          i === 1 || i === 3 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : { EventId: `eb-${i}` },
        ),
      }),
    );
    const events = Array.from({ length: 5 }, (_, i) => event(i));
    expect(await bus(endpoint).put(events)).toEqual({
      failed: [
        { id: events[1]!.id, reason: 'ThrottlingException: Rate exceeded' },
        { id: events[3]!.id, reason: 'ThrottlingException: Rate exceeded' },
      ],
    });
  });

  it('throws when no call gets through (a 500), so the relay retries every event', async () => {
    const { endpoint, received } = await standIn((_, res) => json(res, 500, { __type: 'InternalException', message: 'bus down' }));
    await expect(bus(endpoint).put([event(1)])).rejects.toThrow();
    expect(received).toHaveLength(1);
  });

  it('when a later call fails, reports its events failed and keeps those already on the bus delivered', async () => {
    let calls = 0;
    const { endpoint } = await standIn((entries, res) => (++calls === 2 ? json(res, 500, { __type: 'InternalException' }) : accepted(entries, res)));
    const events = Array.from({ length: 15 }, (_, i) => event(i));
    const { failed } = await bus(endpoint).put(events);
    expect(failed.map((f) => f.id)).toEqual(events.slice(10).map((e) => e.id));
    expect(failed[0]!.reason).toMatch(/^PutEvents failed: /);
  });

  it('gives up on a bus that never answers within the request timeout', async () => {
    const { endpoint, received } = await standIn(() => {
      /* never answers */
    });
    const started = Date.now();
    await expect(bus(endpoint, { requestTimeoutMs: 300 }).put([event(1)])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(received).toHaveLength(1);
  });

  it('puts nothing and calls nothing for no events', async () => {
    const { endpoint, received } = await standIn(accepted);
    expect(await bus(endpoint).put([])).toEqual({ failed: [] });
    expect(received).toHaveLength(0);
  });
});

describe('eventBusFor', () => {
  it('is undefined without a bus name, an EventBridgeBus labelled by its bus otherwise', () => {
    expect(eventBusFor({ eventBus: { name: undefined, endpoint: undefined } })).toBeUndefined();
    expect(eventBusFor({ eventBus: { name: 'keywarden-production-events', endpoint: undefined } })?.label).toBe('eventbridge:keywarden-production-events');
  });
});
