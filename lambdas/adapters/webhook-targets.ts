/**
 * Where a webhook may be sent (issue 22 point 3), safe against server-side request forgery: the
 * URL rules checked when a webhook is registered (`checkWebhookUrl`), the address rules checked
 * again at connect time by the sender (`forbiddenAddress`, webhook-sender.ts), and how names
 * resolve. Apart from the sender so a function that only registers webhooks (the API) carries
 * none of the signing code (standardwebhooks and its hashing), only these checks.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
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

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * The registration half of the `WebhookTransport` port: a URL is refused when it is not one
 * `checkWebhookUrl` accepts or when its name resolves now to an address a webhook may not reach
 * (the sender checks it again at every connection).
 */
export class WebhookTargets implements Pick<WebhookTransport, 'refuse'> {
  constructor(
    protected readonly policy: WebhookTargetPolicy,
    protected readonly resolver: Resolver = systemResolver,
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
}
