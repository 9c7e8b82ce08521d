import { unmarshall } from '@aws-sdk/util-dynamodb';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../../support/capture';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { storedItems } from '../../support/stored-items';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

describe('a raw key exists only in the one response that creates it', () => {
  it('no log line, audit record, table item or later response body holds any raw key issued', async () => {
    const output = captureOutput({ loggers: [stack.services.logger] });
    const issued: string[] = [stack.adminKey];
    const laterBodies: string[] = [];
    let later: Array<{ status: number; text: string }> = [];
    const call = async (path: string, options: Parameters<TestStack['call']>[1] = {}) => {
      const res = await stack.call(path, options);
      const text = await res.text();
      return { status: res.status, text, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
    };
    try {
      // Create (the one response allowed to carry the key), then everything else.
      const created = await call('/v1/keys', { key: stack.adminKey, body: { name: 'hygiene' } });
      issued.push(created.body.key);
      const viewer = await call('/v1/keys', { key: stack.adminKey, body: { name: 'hygiene viewer', type: 'viewer' } });
      issued.push(viewer.body.key);
      const rotated = await call(`/v1/keys/${created.body.id}/rotate`, { key: stack.adminKey, body: { overlap: '1h' } });
      issued.push(rotated.body.key);

      later = [
        await call('/v1/models', { key: created.body.key }),
        await call('/v1/responses', { key: rotated.body.key, body: { model: 'archibot', input: 'hello' } }),
        await call('/v1/responses', { key: rotated.body.key, body: { model: 'archibot', input: 'hello', stream: true } }),
        await call('/v1/keys', { key: stack.adminKey }),
        await call('/v1/keys/search', { key: stack.adminKey, body: { search: rotated.body.key } }),
        await call(`/v1/keys/${created.body.id}`, { key: stack.adminKey }),
        await call('/v1/keys/verify', { key: stack.adminKey, body: { key: viewer.body.key } }),
        await call('/v1/me', { key: viewer.body.key }),
        // Denied and malformed attempts that carry keys.
        await call('/v1/keys', { key: viewer.body.key, body: { name: 'nope' } }),
        await call(`/v1/keys/${encodeURIComponent(viewer.body.key)}/revoke`, { key: stack.adminKey, body: {} }),
        await call('/v1/keys', { key: `${viewer.body.key}x` }),
        await call('/v1/keys', { key: stack.adminKey, body: { name: viewer.body.key, color: viewer.body.key } }),
        await call(`/v1/keys/${viewer.body.id}/revoke`, { key: stack.adminKey, body: {} }),
        await call('/v1/models', { key: viewer.body.key }),
        await call(`/v1/keys/${rotated.body.id}`, { key: stack.adminKey, method: 'DELETE' }),
        await call('/v1/models', { key: rotated.body.key }),
        await call('/v1/audit', { key: stack.adminKey }),
      ];
      laterBodies.push(...later.map((r) => r.text));
      expect(later.some((r) => r.status === 401)).toBe(true);
      expect(later.some((r) => r.status === 403)).toBe(true);
    } finally {
      output.stop();
    }

    // The scan means something only if the service logged these requests: a line for each, the
    // refused ones included.
    const logs = output.text();
    const logLines = logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { status?: number });
    expect(logLines.length).toBeGreaterThanOrEqual(later.length);
    expect(logLines.some((line) => line.status === 401)).toBe(true);
    expect(logLines.some((line) => line.status === 403)).toBe(true);
    const audit: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await (await stack.call(`/v1/audit?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { key: stack.adminKey })).json();
      audit.push(...page.data.map((r: unknown) => JSON.stringify(r)));
      cursor = page.nextCursor;
    } while (cursor);
    expect(audit.length).toBeGreaterThan(3);
    const items = (await storedItems(stack.services)).map((i) => JSON.stringify(unmarshall(i as never)));
    expect(items.length).toBeGreaterThan(5);

    for (const key of issued) {
      const random = key.slice(key.indexOf('_') + 1);
      for (const [where, texts] of [['log', [logs]], ['audit', audit], ['table', items], ['response', laterBodies]] as const) {
        for (const text of texts) {
          // Neither the key nor its secret part appears (only the 4-char visible start may).
          expect(text.includes(key) || text.includes(random), `${where} holds a raw key`).toBe(false);
        }
      }
    }
  });

  it('local secret files are owner-only (0600)', () => {
    for (const name of ['secrets.json', 'bootstrap.json']) {
      const mode = statSync(join(stack.dataDir.path, name)).mode & 0o777;
      expect(mode.toString(8)).toBe('600');
    }
    const bootstrap = JSON.parse(readFileSync(join(stack.dataDir.path, 'bootstrap.json'), 'utf8'));
    expect(Object.keys(bootstrap)).toEqual(expect.arrayContaining(['baseUrl', 'environment', 'accountId', 'projectId', 'adminKey']));
  });
});
