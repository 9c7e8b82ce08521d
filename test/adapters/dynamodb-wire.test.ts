import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb-store';
import { DynamoWire, DynamoWireError } from '../../lambdas/adapters/dynamodb-wire';

/**
 * The hot path's DynamoDB transport against a stand-in DynamoDB on 127.0.0.1 — for what dynalite
 * cannot be made to show: it never checks signatures, never throttles, never hangs. (The store's
 * own tests and every gateway test run the transport against dynalite.)
 */
interface Received {
  target: string;
  path: string;
  body: string;
  headers: IncomingMessage['headers'];
}

let server: Server;
let endpoint: string;
let received: Received[] = [];
let answer: (req: Received, res: ServerResponse) => void = (_req, res) => res.end('{}');

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { target: String(req.headers['x-amz-target']), body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, path: req.url ?? '/' };
      received.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  received = [];
  answer = (_req, res) => res.end('{}');
});

const credentials = { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'wire-test-secret', sessionToken: 'session-token-1' };
function wire(options: { timeoutMs?: number; maxAttempts?: number; path?: string } = {}): DynamoWire {
  return new DynamoWire(new DynamoDBClient({ endpoint: `${endpoint}${options.path ?? ''}`, region: 'eu-west-1', credentials }), options);
}

/** What @smithy/signature-v4 signs for the request as the server received it (its path included). */
async function independentSignature(r: Received): Promise<{ auth: string; check: string }> {
  const auth = String(r.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
  const amzDate = String(r.headers['x-amz-date']);
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(r.headers[name])]));
  const signed = await new SignatureV4({ service: 'dynamodb', region: 'eu-west-1', credentials, sha256: Sha256, applyChecksum: false }).sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: r.path, query: {}, headers, body: r.body },
    { signingDate: date },
  );
  return { auth, check: String(signed.headers.authorization) };
}

function error(res: ServerResponse, status: number, type: string, message = type): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
}

const bytes = (d: SourceData) => (typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: SourceData) {
    this.h.update(bytes(d));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

describe('DynamoWire', () => {
  it('sends the operation as DynamoDB JSON, signed over exactly what arrives (SigV4, session token included)', async () => {
    answer = (_req, res) => res.end(JSON.stringify({ Attributes: { credits: { N: '7' } } }));
    const input = { TableName: 't', Key: { pk: { S: 'ACCOUNT#a' }, sk: { S: 'ACCOUNT' } }, UpdateExpression: 'SET credits = credits - :a', ExpressionAttributeValues: { ':a': { N: '1' } } };
    const out = await wire().send('UpdateItem', input, 'reserve');
    expect(out).toEqual({ Attributes: { credits: { N: '7' } } });
    const [r] = received;
    expect(r!.target).toBe('DynamoDB_20120810.UpdateItem');
    expect(r!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(r!.body)).toEqual(input);
    expect(r!.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    const auth = String(r!.headers.authorization);
    expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDWIRETEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=/);
    // An independent signer, fed the request as the server received it, reaches the same signature.
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
    const amzDate = String(r!.headers['x-amz-date']);
    const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(r!.headers[name])]));
    const check = await new SignatureV4({ service: 'dynamodb', region: 'eu-west-1', credentials, sha256: Sha256, applyChecksum: false }).sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', query: {}, headers, body: r!.body },
      { signingDate: date },
    );
    expect(check.headers.authorization).toBe(auth);
  });

  it('under a proxy’s path prefix, signs the path as the SDK signer does (segments normalised, escaped once more)', async () => {
    for (const path of ['/ddb', '/ddb/', '/a/./b/../ddb/', "/odd%20path/it's(1)/", '/%C3%A9t%C3%A9/x*y']) {
      received = [];
      await wire({ path }).send('UpdateItem', { TableName: 't', Key: { pk: { S: 'K' }, sk: { S: 'K' } }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { N: '1' } } }, 'admit');
      const [r] = received;
      const { auth, check } = await independentSignature(r!);
      expect(check, path).toBe(auth);
    }
  });

  it('names DynamoDB errors by type and does not retry a failed condition', async () => {
    answer = (_req, res) => error(res, 400, 'ConditionalCheckFailedException', 'The conditional request failed');
    const failure = await wire().send('UpdateItem', {}, 'admit').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DynamoWireError);
    expect(failure).toMatchObject({ name: 'ConditionalCheckFailedException', status: 400, retryable: false, message: 'The conditional request failed' });
    expect(received).toHaveLength(1);
  });

  it('retries throttling and server errors with backoff, then succeeds', async () => {
    const script = [
      (res: ServerResponse) => error(res, 400, 'ProvisionedThroughputExceededException'),
      (res: ServerResponse) => error(res, 500, 'InternalServerError'),
      (res: ServerResponse) => res.end('{"ok":{"BOOL":true}}'),
    ];
    answer = (_req, res) => script[received.length - 1]!(res);
    expect(await wire().send('PutItem', { TableName: 't' }, 'usage')).toEqual({ ok: { BOOL: true } });
    expect(received).toHaveLength(3);
    // Every attempt is signed afresh and carries the same call.
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
  });

  it('gives up after maxAttempts and surfaces the last error', async () => {
    answer = (_req, res) => error(res, 400, 'ThrottlingException', 'Rate exceeded');
    await expect(wire({ maxAttempts: 2 }).send('PutItem', {}, 'usage')).rejects.toMatchObject({ name: 'ThrottlingException', retryable: true });
    expect(received).toHaveLength(2);
  });

  it('never waits forever: an attempt that gets no answer fails after timeoutMs, and so does the call', async () => {
    answer = () => undefined; // holds the request open
    const started = performance.now();
    const failure = await wire({ timeoutMs: 150, maxAttempts: 2 }).send('UpdateItem', {}, 'admit').catch((err: unknown) => err);
    expect(failure).toMatchObject({ name: 'TimeoutError' });
    expect(received).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('an answer that is not JSON is an error, not a crash', async () => {
    answer = (_req, res) => {
      res.writeHead(502);
      res.end('<html>bad gateway</html>');
    };
    await expect(wire({ maxAttempts: 1 }).send('PutItem', {}, 'usage')).rejects.toMatchObject({ name: 'MalformedAnswer', status: 502 });
  });

  it('does not keep a failed set-up: after the region provider fails once, the next call goes through', async () => {
    let failures = 1;
    const region = async () => {
      if (failures-- > 0) throw new Error('no region yet');
      return 'eu-west-1';
    };
    const w = new DynamoWire(new DynamoDBClient({ endpoint, region, credentials }));
    await expect(w.send('PutItem', {}, 'usage')).rejects.toThrow('no region yet');
    expect(await w.send('PutItem', {}, 'usage')).toEqual({});
    expect(received).toHaveLength(1);
  });

  it('runs interceptors around every call, with what the call is for', async () => {
    const w = wire();
    const seen: string[] = [];
    w.intercept(async (call, next) => {
      seen.push(`${call.operation}:${call.purpose}`);
      return next();
    });
    await w.send('BatchWriteItem', {}, 'usage');
    await w.send('UpdateItem', {}, 'settle');
    expect(seen).toEqual(['BatchWriteItem:usage', 'UpdateItem:settle']);
  });
});

describe('whether a failed call can have been applied', () => {
  const throttled = (res: ServerResponse) => {
    res.statusCode = 400;
    res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' }));
  };

  it('not applied: every attempt refused by DynamoDB (4xx), or refused a connection', async () => {
    answer = (_req, res) => throttled(res);
    await expect(wire().send('UpdateItem', {}, 'admit')).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', notApplied: true });
    expect(received).toHaveLength(3);
    const nowhere = new DynamoWire(new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-1', credentials }));
    await expect(nowhere.send('UpdateItem', {}, 'admit')).rejects.toMatchObject({ code: 'ECONNREFUSED', notApplied: true });
  });

  it('unknown: an attempt answered 5xx or not at all, even when the last was refused', async () => {
    answer = (_req, res) => (received.length === 1 ? ((res.statusCode = 500), res.end('{"__type":"InternalServerError"}')) : throttled(res));
    await expect(wire().send('UpdateItem', {}, 'admit')).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', notApplied: false });
    received = [];
    answer = (_req, res) => (received.length === 1 ? undefined : throttled(res));
    await expect(wire({ timeoutMs: 200 }).send('UpdateItem', {}, 'admit')).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', notApplied: false });
    expect(received).toHaveLength(3);
  });
});

describe('usage records over BatchWriteItem', () => {
  const record = (i: number) => ({ requestId: `req_${i}`, at: new Date().toISOString(), projectId: 'prj_1', accountId: 'acct_1', keyId: 'key_1', route: 'GET /v1/models', status: 200, credits: 0 });
  const store = () => new DynamoDbStore({ tableName: 'kw', client: new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials }) });
  type Batch = { RequestItems: Record<string, { PutRequest: { Item: { requestId: { S: string } } } }[]> };
  const ids = (r: Received) => (JSON.parse(r.body) as Batch).RequestItems.kw!.map((w) => w.PutRequest.Item.requestId.S);

  it('sends what DynamoDB left unprocessed again, and only that', async () => {
    answer = (req, res) => {
      const writes = (JSON.parse(req.body) as Batch).RequestItems.kw!;
      // The second write's answer leaves every other item unprocessed, as a throttled table does.
      res.end(JSON.stringify(received.length === 2 ? { UnprocessedItems: { kw: writes.filter((_, i) => i % 2 === 1) } } : {}));
    };
    const s = store();
    const first = s.putUsage(record(0)); // goes out at the end of this turn, with those asked for in it
    const rest = [1, 2, 3, 4].map((i) => s.putUsage(record(i)));
    await new Promise((resolve) => setImmediate(resolve));
    const late = [5, 6].map((i) => s.putUsage(record(i))); // asked for while that write is in flight: the next one
    await Promise.all([first, ...rest, ...late]);
    expect(received.map(ids)).toEqual([['req_0', 'req_1', 'req_2', 'req_3', 'req_4'], ['req_5', 'req_6'], ['req_6']]);
  });

  it('fails its callers when items stay unprocessed past the time a record is waited for, sending them again until then', async () => {
    answer = (req, res) => res.end(JSON.stringify({ UnprocessedItems: JSON.parse(req.body).RequestItems }));
    const waiting = new DynamoDbStore({ tableName: 'kw', client: new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials }), owedWaitMs: 2_000 });
    const started = Date.now();
    await expect(waiting.putUsage(record(9))).rejects.toThrow(/unprocessed/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    // Sent again with backoff (full jitter, at most 1 s a pause) until the time ran out, then no more.
    expect(received.length).toBeGreaterThanOrEqual(3);
    const sends = received.length;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(received.length).toBe(sends);
  }, 20_000);
});

describe('batched reads DynamoDB leaves unprocessed (BatchGetItem over the SDK)', () => {
  const store = () => new DynamoDbStore({ tableName: 'kw', client: new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials }) });
  type Keys = { RequestItems: { kw: { Keys: { pk: { S: string }; sk: { S: string } }[] } } };
  const asked = (r: Received) => (JSON.parse(r.body) as Keys).RequestItems.kw.Keys.map((k) => k.sk.S);

  it('asks again for the keys left unprocessed, and only those', async () => {
    answer = (req, res) => {
      const keys = (JSON.parse(req.body) as Keys).RequestItems.kw.Keys;
      const [first, ...rest] = keys;
      const item = { ...first, id: { S: 'key_1' } };
      res.end(JSON.stringify({ Responses: { kw: [item] }, ...(rest.length ? { UnprocessedKeys: { kw: { Keys: rest, ConsistentRead: true } } } : {}) }));
    };
    const found = await store().getKeyWithAdmin('key_1', { projectId: 'prj_1', identity: 'U1' });
    expect(received.map(asked)).toEqual([['KEY', 'ADMIN#U1'], ['ADMIN#U1']]);
    expect(found).toMatchObject({ key: { id: 'key_1' }, admin: true });
  });

  it('tells its caller the store is busy when keys stay unprocessed, after a bounded number of sends', async () => {
    answer = (req, res) => res.end(JSON.stringify({ Responses: { kw: [] }, UnprocessedKeys: JSON.parse(req.body).RequestItems }));
    await expect(store().getKeyWithAdmin('key_1', { projectId: 'prj_1', identity: 'U1' })).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(received.length).toBe(8);
  }, 15_000);
});
