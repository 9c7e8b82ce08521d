import { createPublicKey } from 'node:crypto';
// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { KeywardenError } from '../core/errors';
import type { Clock, GithubScanningKeys } from '../core/ports';

/** An unknown identifier asks GitHub again at most this often: forged identifiers cannot make us hammer it. */
export const REFETCH_INTERVAL_MS = 60_000;
/** The published document is a few keys (about 200 bytes each); anything far bigger is not it. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 5_000;

/** GitHub's document: extra fields are GitHub's to add, so only ours are read. */
const Document = z.object({
  public_keys: z.array(z.object({ key_identifier: z.string().min(1).max(200), key: z.string().min(1).max(4_096), is_current: z.boolean().optional() })).max(100),
});

/**
 * The keys GitHub signs its secret scanning partner reports with, fetched from
 * GITHUB_SECRET_SCANNING_KEYS_URL and kept for the life of the process (Lambda: the warm
 * instance). GitHub rotates by publishing a new key beside the old one, so a report naming an
 * identifier we do not hold triggers one fetch — at most one a minute, however many such reports
 * arrive; in between an unknown identifier is simply unknown (the report is refused). The fetch is
 * bounded: a timeout, a size limit, and only P-256 public keys are kept.
 */
export class GithubKeysFetcher implements GithubScanningKeys {
  private keys = new Map<string, string>();
  private lastAttempt: number | undefined;
  private lastFailed = false;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly clock: Clock,
    private readonly timeoutMs = FETCH_TIMEOUT_MS,
  ) {}

  async publicKey(identifier: string): Promise<string | undefined> {
    const known = this.keys.get(identifier);
    if (known !== undefined) return known;
    if (!this.inflight) {
      const now = this.clock.now();
      if (this.lastAttempt !== undefined && now - this.lastAttempt < REFETCH_INTERVAL_MS) {
        // GitHub could not be asked lately: the report may well be genuine, so it is asked to come back.
        if (this.lastFailed) throw unavailable();
        return undefined;
      }
      this.lastAttempt = now;
      this.inflight = this.refresh().finally(() => (this.inflight = undefined));
    }
    await this.inflight;
    return this.keys.get(identifier);
  }

  private async refresh(): Promise<void> {
    try {
      const res = await fetch(this.url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const doc = Document.parse(JSON.parse(await readBounded(res, MAX_DOCUMENT_BYTES)));
      const keys = new Map<string, string>();
      for (const k of doc.public_keys) if (isP256(k.key)) keys.set(k.key_identifier, k.key);
      this.keys = keys;
      this.lastFailed = false;
    } catch (err) {
      this.lastFailed = true;
      throw unavailable(err);
    }
  }
}

function unavailable(cause?: unknown): KeywardenError {
  return new KeywardenError('service_unavailable', "GitHub's secret scanning public keys could not be fetched; try again later.", { retryAfterSeconds: 60 }, { cause });
}

function isP256(pem: string): boolean {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

/** The answer's body, refused past `max` bytes without reading the rest. */
async function readBounded(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`the document exceeds ${max} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}
