/**
 * Sends one webhook delivery (issue 22 point 3), safe against server-side request forgery: the
 * URL is checked when it is registered (webhook-targets.ts) and the address is checked again at
 * connect time — inside the connection's own DNS lookup, so a name that resolved to a public
 * address at registration and resolves to a private one now (DNS rebinding) is refused before a
 * byte is sent. No redirect is followed (a 3xx is a failed delivery), the answer is read up to a
 * bound, and every attempt has a timeout. Signed per the Standard Webhooks specification with the
 * `standardwebhooks` package itself (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
 * Only the events function (and a process that runs everything) imports this file: the signing
 * code is ~13 KB of a bundle.
 */
import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookTransport } from '../core/ports';
import { checkWebhookUrl, forbiddenAddress, systemResolver, WebhookTargets, type Resolver, type WebhookTargetPolicy } from './webhook-targets';

export { checkWebhookUrl, forbiddenAddress, type Resolver, type WebhookTargetPolicy } from './webhook-targets';

export interface WebhookDelivery {
  url: string;
  /** The endpoint's signing secret, `whsec_…` (Standard Webhooks). */
  secret: string;
  /** The event's id: the same on every attempt, so the receiver can drop repeats. */
  id: string;
  /** The event, as JSON. */
  payload: string;
  /** The attempt's time (the signature covers it). */
  at: Date;
}

export type DeliveryResult =
  | { ok: true; status: number; ms: number }
  | { ok: false; status?: number; reason: string; ms: number };

/** Longest an attempt may take, connection included. */
const TIMEOUT_MS = 10_000;
/** Most of an answer read (it is only logged). */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * One attempt: a 2xx is delivered; anything else (3xx included: never followed), a refused
 * address, a timeout or a network failure is a failed attempt with its reason, for the delivery
 * log and the retry schedule.
 */
export async function sendWebhook(delivery: WebhookDelivery, policy: WebhookTargetPolicy, resolver: Resolver = systemResolver): Promise<DeliveryResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const checked = checkWebhookUrl(delivery.url, policy);
  if (!checked.ok) return { ok: false, reason: `refused: ${checked.reason}`, ms: ms() };
  const { url } = checked;
  const signature = new Webhook(delivery.secret).sign(delivery.id, delivery.at, delivery.payload);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(delivery.payload)),
    'user-agent': 'Keywarden-Webhooks/1',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(delivery.at.getTime() / 1000)),
    'webhook-signature': signature,
  };
  // The connection's own lookup: every address the name resolves to now must be allowed.
  const lookup: LookupFunction = (host, options, callback) => {
    resolver(host)
      .then((addresses) => {
        const refused = addresses.map((a) => forbiddenAddress(a.address, policy)).find(Boolean);
        if (addresses.length === 0 || refused) {
          const err = Object.assign(new Error(`refused: ${host} resolves to a ${refused ?? 'no address'}`), { code: 'EWEBHOOKTARGET' });
          return callback(err, '', 0);
        }
        const first = addresses[0]!;
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, first.address, first.family);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, '', 0));
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    const req = send(url, { method: 'POST', headers, lookup, timeout: TIMEOUT_MS, agent: false }, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      const status = res.statusCode ?? 0;
      const done = () => resolve(status >= 200 && status < 300 ? { ok: true, status, ms: ms() } : { ok: false, status, reason: status >= 300 && status < 400 ? `redirect ${status} (not followed)` : `answered ${status}`, ms: ms() });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, reason: err.message.startsWith('refused:') ? err.message : `${err.code ?? err.name}: could not deliver`, ms: ms() }));
    req.end(delivery.payload);
  });
}

/**
 * The `WebhookTransport` port: `send` over `sendWebhook`, and the registration check it inherits
 * (WebhookTargets), with the same policy and resolver for both.
 */
export class WebhookSender extends WebhookTargets implements WebhookTransport {
  send(delivery: WebhookDelivery): Promise<DeliveryResult> {
    return sendWebhook(delivery, this.policy, this.resolver);
  }
}
