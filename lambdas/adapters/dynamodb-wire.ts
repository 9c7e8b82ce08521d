import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createHash, createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { backoff } from '../core/backoff';

/**
 * The hot path's DynamoDB transport (issue 10): the writes every gateway call makes — key
 * admission, credit reservation, settlement, usage records — as signed JSON over a keep-alive
 * connection, without the SDK's per-call middleware stack, schema serde and endpoint rules
 * (≈ 0.2 ms of CPU per call, 4 calls per model call). What it does not reimplement it takes from
 * the SDK client it is built on: region, endpoint (custom or the SDK's own endpoint rules),
 * credentials (the SDK's provider chain, memoized and refreshed by the SDK); requests are signed
 * with SigV4 (WireSigner below: the SDK's own signer's result for this one request shape, more
 * cheaply). Items and answers stay in DynamoDB's attribute-value
 * JSON: the callers build their values once (store/accounts.ts, keys.ts, logs.ts).
 *
 * Failures: DynamoDB's JSON errors become DynamoWireError named by their `__type`
 * (ConditionalCheckFailedException, …); throttling, 5xx, a reset connection and a timed-out
 * attempt are retried with jittered backoff like the SDK's standard mode (3 attempts); every
 * attempt is bounded by `timeoutMs`, so no call waits forever.
 */
export type WireOperation = 'UpdateItem' | 'PutItem' | 'BatchWriteItem';

/**
 * What a call is for, as the store names it: `admit` and `reserve` are on a request's critical
 * path; `settle` and `usage` run after its answer.
 */
export type WirePurpose = 'admit' | 'reserve' | 'settle' | 'usage';

/** Wraps every call (the bench counts round trips and emulates their latency with these). */
export type WireInterceptor = (call: { operation: WireOperation; purpose: WirePurpose }, next: () => Promise<unknown>) => Promise<unknown>;

/** Shaped like the SDK's service errors (`name`, `$metadata.httpStatusCode`, a network `code`), so whatever reads those reads these alike. */
export class DynamoWireError extends Error {
  readonly $metadata: { httpStatusCode?: number };
  readonly code?: string;
  /**
   * Set on a call's last error when no attempt of it can have been applied: each was refused by
   * DynamoDB (a 4xx answer: throttled, invalid, its condition failed) or never reached it (no
   * connection). A timeout, a reset connection or a 5xx leave the outcome unknown.
   */
  notApplied = false;

  constructor(
    /** The error's type, e.g. `ConditionalCheckFailedException` (also its name), or a network code. */
    readonly type: string,
    message: string,
    /** The HTTP status, 0 when there was no answer. */
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = type;
    this.$metadata = status > 0 ? { httpStatusCode: status } : {};
    if (status === 0 && /^E[A-Z]+$/.test(type)) this.code = type;
  }
}

export interface DynamoWireOptions {
  /** Per attempt, connection included. Default 3 s (DynamoDB answers in milliseconds). */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 3 (the SDK's standard retry mode). */
  maxAttempts?: number;
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
]);
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);
/** Network failures before a connection was made: the request never reached DynamoDB. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether this attempt's failure says DynamoDB did not apply it: a 4xx answer, or no connection at all. */
function neverApplied(err: DynamoWireError): boolean {
  const status = err.$metadata.httpStatusCode;
  return status !== undefined ? status >= 400 && status < 500 : NEVER_SENT.has(err.code ?? '');
}

/** Longest answer read back: DynamoDB's largest (an item of 400 KB with ALL_NEW) fits many times. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

interface Target {
  protocol: 'http:' | 'https:';
  hostname: string;
  port?: number;
  path: string;
  host: string;
}


export class DynamoWire {
  private readonly interceptors: WireInterceptor[] = [];
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private resolved?: Promise<{ target: Target; signer: WireSigner }>;
  private readonly agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(
    private readonly client: DynamoDBClient,
    options: DynamoWireOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  }

  /** Adds an interceptor around every later call (outermost last). */
  intercept(interceptor: WireInterceptor): void {
    this.interceptors.push(interceptor);
  }

  /** One DynamoDB call: its answer's JSON, or DynamoWireError. */
  send<T = Record<string, unknown>>(operation: WireOperation, input: Record<string, unknown>, purpose: WirePurpose): Promise<T> {
    let call = () => this.withRetries(operation, JSON.stringify(input));
    for (const interceptor of this.interceptors) {
      const next = call;
      call = () => interceptor({ operation, purpose }, next);
    }
    return call() as Promise<T>;
  }

  private async withRetries(operation: WireOperation, body: string): Promise<unknown> {
    let unknownOutcome = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(operation, body);
      } catch (err) {
        if (!(err instanceof DynamoWireError) || !neverApplied(err)) unknownOutcome = true;
        if (attempt >= this.maxAttempts || !(err instanceof DynamoWireError && err.retryable)) {
          if (err instanceof DynamoWireError) err.notApplied = !unknownOutcome;
          throw err;
        }
        await backoff(attempt);
      }
    }
  }

  private async attempt(operation: WireOperation, body: string): Promise<unknown> {
    // A failed resolution (the region provider) is not kept: the next call tries again.
    const { target, signer } = await (this.resolved ??= this.resolve().catch((err: unknown) => {
      this.resolved = undefined;
      throw err;
    }));
    const headers = await signer.sign(operation, body);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(
        {
          agent: this.agents[target.protocol],
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: 'POST',
          path: target.path,
          headers,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) res.destroy(new DynamoWireError('AnswerTooLarge', 'DynamoDB answered more than expected.', res.statusCode ?? 0, false));
            else chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new DynamoWireError('TimeoutError', `DynamoDB did not answer within ${this.timeoutMs} ms.`, 0, true)), this.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(err instanceof DynamoWireError ? err : new DynamoWireError(err.code ?? 'NetworkError', err.message, 0, TRANSIENT_NETWORK.has(err.code ?? ''))),
      );
      req.end(body);
    });
    let parsed: Record<string, unknown> = {};
    try {
      parsed = answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : {};
    } catch {
      throw new DynamoWireError('MalformedAnswer', `DynamoDB answered ${answer.status} with a body that is not JSON.`, answer.status, answer.status >= 500);
    }
    if (answer.status === 200) return parsed;
    const type = String(parsed.__type ?? 'UnknownError').split('#').pop()!;
    const message = String(parsed.message ?? parsed.Message ?? type);
    throw new DynamoWireError(type, message, answer.status, answer.status >= 500 || THROTTLING.has(type));
  }

  /** The endpoint and the signer, from the SDK client's own configuration, once. */
  private async resolve(): Promise<{ target: Target; signer: WireSigner }> {
    const config = this.client.config as typeof this.client.config & {
      ignoreConfiguredEndpointUrls?: boolean;
      serviceConfiguredEndpoint?: () => Promise<string | undefined>;
    };
    const region = await config.region();
    // As the SDK: an endpoint given in code, else one configured for the service
    // (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, the shared config), else the endpoint rules.
    const configured = config.endpoint || config.ignoreConfiguredEndpointUrls ? undefined : await config.serviceConfiguredEndpoint?.();
    let url: URL;
    if (config.endpoint) {
      const e = await config.endpoint();
      url = new URL(`${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path ?? '/'}`);
    } else if (configured) {
      url = new URL(configured);
    } else {
      const [useFips, useDualStack] = await Promise.all([config.useFipsEndpoint(), config.useDualstackEndpoint()]);
      url = config.endpointProvider({ Region: region, UseFIPS: useFips, UseDualStack: useDualStack }, {}).url;
    }
    const protocol = url.protocol === 'http:' ? 'http:' : 'https:';
    const target: Target = {
      protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname || '/',
      host: url.host,
    };
    const signer = new WireSigner(target, region, () => config.credentials() as Promise<AwsCredentialIdentity>);
    return { target, signer };
  }
}

/**
 * SigV4 for the one request shape this transport sends: `POST` to the endpoint's path, no query,
 * the headers below and a JSON body. It computes what @smithy/signature-v4 computes for that shape
 * (the test signs the request as received with it and compares, at the root and under a proxy's
 * path prefix), in a few string joins and four hashes instead of the general signer's header
 * canonicalisation, async digests and per-call allocations (≈ a third of a call's main-thread CPU,
 * profiled), and without carrying that signer in every bundle (≈ 14 KB). The signing key is
 * derived once a day per credentials, as the general signer caches it.
 */
class WireSigner {
  private signingKey?: { scope: string; accessKeyId: string; secretAccessKey: string; key: Buffer };
  private readonly canonicalPath: string;

  constructor(
    private readonly target: Target,
    private readonly region: string,
    private readonly credentials: () => Promise<AwsCredentialIdentity>,
  ) {
    this.canonicalPath = canonicalPath(target.path);
  }

  /** The request's headers, `authorization` included. */
  async sign(operation: WireOperation, body: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      host: this.target.host,
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      'content-length': String(Buffer.byteLength(body)),
    };
    const credentials = await this.credentials();
    // 2026-12-07T03:13:04.123Z → 20261207T031304Z, as the general signer formats it.
    const iso = new Date().toISOString();
    const longDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    const shortDate = longDate.slice(0, 8);
    headers['x-amz-date'] = longDate;
    const token = credentials.sessionToken;
    if (token) headers['x-amz-security-token'] = token;
    // Signed headers in lexical order; every value here is already trimmed and single-line.
    const signedHeaders = token
      ? 'content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target'
      : 'content-length;content-type;host;x-amz-date;x-amz-target';
    const canonicalRequest =
      `POST\n${this.canonicalPath}\n\ncontent-length:${headers['content-length']}\ncontent-type:application/x-amz-json-1.0\nhost:${headers.host}\n` +
      `x-amz-date:${longDate}\n${token ? `x-amz-security-token:${token}\n` : ''}x-amz-target:${headers['x-amz-target']}\n\n` +
      `${signedHeaders}\n${createHash('sha256').update(body).digest('hex')}`;
    const scope = `${shortDate}/${this.region}/dynamodb/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
    const signature = createHmac('sha256', this.keyFor(scope, shortDate, credentials)).update(stringToSign).digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  private keyFor(scope: string, shortDate: string, c: AwsCredentialIdentity): Buffer {
    const k = this.signingKey;
    if (k && k.scope === scope && k.accessKeyId === c.accessKeyId && k.secretAccessKey === c.secretAccessKey) return k.key;
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    const key = hmac(hmac(hmac(hmac(`AWS4${c.secretAccessKey}`, shortDate), this.region), 'dynamodb'), 'aws4_request');
    this.signingKey = { scope, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, key };
    return key;
  }
}

/**
 * A SigV4 canonical URI for a service other than S3, as @smithy/signature-v4 builds it: empty and
 * `.` segments dropped, `..` popping one, the leading and trailing `/` kept, then every byte
 * URI-encoded once more (AWS's set: `encodeURIComponent` plus `!'()*`) except the slashes.
 */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return encodeURIComponent(normalized)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}
