/**
 * Sends one webhook delivery (issue 22 point 3), safe against server-side request forgery: the
 * URL is checked when it is registered (`checkWebhookUrl`) and the address is checked again at
 * connect time — inside the connection's own DNS lookup, so a name that resolved to a public
 * address at registration and resolves to a private one now (DNS rebinding) is refused before a
 * byte is sent. No redirect is followed (a 3xx is a failed delivery), the answer is read up to a
 * bound, and every attempt has a timeout. Signed per the Standard Webhooks specification with the
 * `standardwebhooks` package itself (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Webhook } from 'standardwebhooks';
import type { WebhookTransport } from '../core/ports';

/** Address ranges a webhook may never reach (ipaddr.js range names): the host itself, private networks, link-local (cloud metadata: 169.254.169.254, fd00:ec2::254), multicast, reserved. */
const FORBIDDEN_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'private',
  'reserved',
  'carrierGradeNat',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
]);

export interface WebhookTargetPolicy {
  /** Local development only (`KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK=1`): loopback targets over http. */
  allowLoopback: boolean;
}

/**
 * Special-purpose blocks ipaddr.js 1.9 does not name (RFC 6890 and its successors): the IETF
 * protocol block, the documentation networks, benchmarking, and IPv6 documentation and
 * deprecated site-local space.
 */
const FORBIDDEN_BLOCKS: Array<[string, ipaddr.IPv4 | ipaddr.IPv6, number]> = [
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['2001:db8::/32', 'documentation'],
  ['fec0::/10', 'site-local'],
  ['2001:10::/28', 'ORCHID'],
].map(([cidr, name]) => [name!, ...ipaddr.parseCIDR(cidr!)] as [string, ipaddr.IPv4 | ipaddr.IPv6, number]);

/** Why an address may not be reached, or undefined when it may. */
export function forbiddenAddress(address: string, policy: WebhookTargetPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  if (FORBIDDEN_RANGES.has(range)) return `${range} address`;
  const block = FORBIDDEN_BLOCKS.find(([, net, bits]) => net.kind() === ip.kind() && (ip as ipaddr.IPv4).match(net as ipaddr.IPv4, bits));
  return block ? `${block[0]} address` : undefined;
}

const MAX_URL = 2048;

/**
 * A webhook URL as registered: https (http only for a loopback target when allowed locally), no
 * credentials, a host name or a public address literal. A name is resolved at connect time
 * (`sendWebhook`), where every address it resolves to is checked again.
 */
export function checkWebhookUrl(text: string, policy: WebhookTargetPolicy): { ok: true; url: URL } | { ok: false; reason: string } {
  if (text.length > MAX_URL) return { ok: false, reason: `longer than ${MAX_URL} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL' };
  if (url.port === '0') return { ok: false, reason: 'port 0' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(host);
  if (!literal && (host === 'localhost' || host.endsWith('.localhost'))) {
    return policy.allowLoopback && url.protocol === 'http:' ? { ok: true, url } : { ok: false, reason: 'a loopback host' };
  }
  if (literal) {
    const why = forbiddenAddress(host, policy);
    if (why) return { ok: false, reason: `a ${why}` };
  }
  const loopback = literal && ipaddr.parse(host).range() === 'loopback';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback && policy.allowLoopback)) return { ok: true, url };
  return { ok: false, reason: 'not https' };
}

/** How names resolve (node:dns `lookup` with `all: true`); tests hand in their own. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

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
 * The `WebhookTransport` port over `sendWebhook`: a URL is refused at registration when it is not
 * one `checkWebhookUrl` accepts or when its name resolves now to an address a webhook may not
 * reach (it is checked again at every connection).
 */
export class WebhookSender implements WebhookTransport {
  constructor(
    private readonly policy: WebhookTargetPolicy,
    private readonly resolver: Resolver = systemResolver,
  ) {}

  async refuse(text: string): Promise<string | undefined> {
    const checked = checkWebhookUrl(text, this.policy);
    if (!checked.ok) return checked.reason;
    const host = checked.url.hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(host)) return undefined;
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolver(host);
    } catch {
      return `${host} does not resolve`;
    }
    if (addresses.length === 0) return `${host} does not resolve`;
    const why = addresses.map((a) => forbiddenAddress(a.address, this.policy)).find(Boolean);
    return why ? `${host} resolves to a ${why}` : undefined;
  }

  send(delivery: WebhookDelivery): Promise<DeliveryResult> {
    return sendWebhook(delivery, this.policy, this.resolver);
  }
}
