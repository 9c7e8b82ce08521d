import { createHash, randomBytes } from 'node:crypto';
import type { AuditLog } from './audit-log';
import type { Authenticator, KeyCheck } from './authenticator';
import { KeywardenError } from './errors';
import { keyStatus, rateLimitState } from './key-status';
import { checkPermission, insufficient } from './policy';
import { principalActor, type Person, type Principal } from './principal';
import type { Clock, ConsoleGrant, Store } from './ports';
import type { KeyRecord } from './types';

/**
 * Signing in to the console (issue 11), without a new identity system: a chat admin follows a
 * one-time link a bot asked for with their actor assertion (or an operator printed with the CLI),
 * or someone presents an API key. Either becomes a session that acts through /v1 under SPEC §3:
 *
 *   person session   a chat admin, acting through the project's Automator key as a person with
 *                    bot `console` — the key-changing actions need them to be an admin, and
 *                    the audit names them "via console"
 *   key session      the key itself (acting as that key, bounded by it), audited "via console"
 *
 * Tokens (256 random bits, base64url, with a `kwl.` / `kws.` marker) exist only in the link or
 * cookie: the store keeps their SHA-256 (a 256-bit random value needs no slow hash) and every
 * write is a single-item conditional write. A link is spent by one conditional update (unused and
 * unexpired), so it signs in once; a session is revoked by marking it, and its expiry is checked
 * in code, never left to a TTL sweep.
 */
export const LINK_LIFETIME_MS = 5 * 60_000;
export const SESSION_LIFETIME_MS = 8 * 3_600_000;
export const CONSOLE_FRONT_END = 'console';

export interface ConsoleSessionInfo {
  kind: 'person' | 'key';
  /** Who acts: the chat identity, or `key:<id>`. */
  actor: string;
  /** The operator who opened the session with `keywarden console-link` (acting as the Automator key), if one did. */
  operator?: string;
  projectId: string;
  keyId: string;
  expiresAt: number;
}

/** A resolved session: the key check (as `Authenticator.authenticate` gives it) and the principal it becomes. */
export interface ConsoleAdmission {
  check: KeyCheck;
  principal?: Principal;
  session: ConsoleSessionInfo;
}

interface Deps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  auth: Authenticator;
}

export class ConsoleSessions {
  constructor(private readonly deps: Deps) {}

  /**
   * A bot asks, with the person's assertion, for a sign-in link for that person. Only an admin of
   * the bot's project gets one; a "no" is a denied attempt in the audit, like any admin action.
   * The success record spends the assertion, so one assertion gets one link.
   */
  async linkForPerson(p: Principal): Promise<{ token: string; expiresAt: number }> {
    if (p.kind !== 'key' || !p.person) {
      throw new KeywardenError('invalid_request_error', 'A sign-in link is for a person: send X-Keywarden-Actor naming them.', { param: 'X-Keywarden-Actor' });
    }
    const { identity } = p.person;
    const project = await this.deps.store.getProject(p.key.projectId);
    if (!project?.automatorKeyId) throw new KeywardenError('not_found', 'Project not found.');
    if (!(await this.deps.store.isAdmin(project.id, identity))) {
      await this.deps.audit.record(p, 'console.link', 'denied', { reason: 'not a project admin' }, { once: true });
      throw new KeywardenError('insufficient_permissions', `${identity} is not an admin of this project.`);
    }
    await this.deps.audit.record(p, 'console.link', 'success', {}, { once: true });
    return this.grant('link', { projectId: project.id, identity, keyId: project.automatorKeyId, issuedBy: principalActor(p) });
  }

  /**
   * An operator (the CLI against the store) signs in to a project's console: the session acts as
   * the project's Automator key, through /v1 like any other, and the audit names the operator here.
   */
  async linkForOperator(projectId: string, actor: string): Promise<{ token: string; expiresAt: number }> {
    const project = await this.deps.store.getProject(projectId);
    if (!project?.automatorKeyId) throw new KeywardenError('not_found', `No project ${projectId}.`);
    await this.deps.audit.record({ kind: 'operator', actor, projectId }, 'console.link', 'success', { keyId: project.automatorKeyId });
    return this.grant('link', { projectId, keyId: project.automatorKeyId, issuedBy: actor });
  }

  /** Follows a link: spends it (once, within its 5 minutes) and opens a session for whom it names. */
  async redeemLink(token: string): Promise<{ token: string; session: ConsoleSessionInfo }> {
    const now = this.deps.clock.now();
    const link = LINK_TOKEN.test(token) ? await this.deps.store.spendConsoleLink(tokenHash(token), now) : undefined;
    if (!link) throw new KeywardenError('invalid_api_key', 'This sign-in link is not valid: it was used already, has expired, or was never issued. Ask for a new one.');
    const { identity, keyId, projectId } = link;
    return this.open({ projectId, keyId, identity, issuedBy: link.issuedBy });
  }

  /**
   * Exchanges an API key for a session acting as that key. The key must be able to read keys;
   * the page never keeps it (only the HttpOnly cookie of the session).
   */
  async signInWithKey(raw: string): Promise<{ token: string; session: ConsoleSessionInfo }> {
    const check = await this.deps.auth.authenticate(raw);
    if (check.result !== 'valid') {
      const code = check.result === 'expired' ? 'key_expired' : check.result === 'revoked' ? 'key_revoked' : check.result === 'disabled' ? 'key_disabled' : 'invalid_api_key';
      throw new KeywardenError(code, 'This API key cannot sign in: it is not a valid, active key.');
    }
    if (!checkPermission(check.key, 'keys:read').allowed) throw insufficient('keys:read');
    await this.deps.audit.record({ kind: 'key', key: check.key, via: CONSOLE_FRONT_END }, 'console.sign_in', 'success', { keyId: check.key.id });
    return this.open({ projectId: check.key.projectId, keyId: check.key.id, issuedBy: `key:${check.key.id}` });
  }

  /**
   * Admits a request carrying a session token: the session must be live, its person still an
   * admin, and its key admitted (active, counted against its rate limit) like a bearer key.
   * `undefined` check result means the session itself is over (signed out, expired, unknown).
   * `countIn`: as Authenticator.authenticate's.
   */
  async admit(token: string, countIn?: string): Promise<ConsoleAdmission> {
    const now = this.deps.clock.now();
    const grant = SESSION_TOKEN.test(token) ? await this.deps.store.getConsoleGrant('session', tokenHash(token)) : undefined;
    if (!grant || grant.revokedAt !== undefined || grant.expiresAt <= now) {
      throw new KeywardenError('invalid_api_key', 'Your console session has ended. Sign in again.');
    }
    let key: KeyRecord | undefined;
    if (grant.identity) {
      key = await this.personKey(grant);
    } else {
      key = await this.deps.store.getKey(grant.keyId);
    }
    const session = describe(grant, key?.id ?? grant.keyId);
    if (!key) return { check: { result: 'invalid' }, session };
    const outcome = await this.deps.store.admitKeyUse(key.id, key.hash, now, undefined, countIn);
    const current = outcome.key ?? key;
    let check: KeyCheck;
    if (outcome.admitted) check = { result: 'valid', key: outcome.key, rateLimit: rateLimitState(outcome.key, outcome.window) };
    else {
      const status = keyStatus(current, now);
      check = status === 'active' ? { result: 'rate_limited', key: current, rateLimit: rateLimitState(current, outcome.window) } : { result: status, key: current };
    }
    const principal: Principal | undefined =
      check.result === 'valid'
        ? grant.identity
          ? { kind: 'key', key: check.key, person: consolePerson(grant.identity) }
          : { kind: 'key', key: check.key, via: CONSOLE_FRONT_END }
        : undefined;
    return { check, principal, session };
  }

  /** Signs out: the session ends now, on every device holding its cookie. */
  async signOut(token: string): Promise<void> {
    if (SESSION_TOKEN.test(token)) await this.deps.store.revokeConsoleSession(tokenHash(token), this.deps.clock.now());
  }

  /**
   * A person acts through the project's Automator key, read with "are they still an admin" in one
   * round trip; removing an admin ends their console sessions at once. After the Automator key
   * was rotated, the session follows the project to its replacement.
   */
  private async personKey(grant: ConsoleGrant): Promise<KeyRecord | undefined> {
    const admin = { projectId: grant.projectId, identity: grant.identity! };
    let found = await this.deps.store.getKeyWithAdmin(grant.keyId, admin);
    if (found.key?.replacedBy || !found.key) {
      const project = await this.deps.store.getProject(grant.projectId);
      if (project?.automatorKeyId && project.automatorKeyId !== grant.keyId) found = await this.deps.store.getKeyWithAdmin(project.automatorKeyId, admin);
    }
    if (!found.admin) throw new KeywardenError('insufficient_permissions', `${grant.identity} is no longer an admin of this project.`);
    return found.key?.projectId === grant.projectId ? found.key : undefined;
  }

  private async open(subject: { projectId: string; keyId: string; identity?: string; issuedBy: string }): Promise<{ token: string; session: ConsoleSessionInfo }> {
    const { token, expiresAt } = await this.grant('session', subject);
    const grant: ConsoleGrant = { kind: 'session', hash: '', ...subject, createdAt: this.deps.clock.now(), expiresAt };
    const session = describe(grant, subject.keyId);
    return { token, session };
  }

  private async grant(kind: ConsoleGrant['kind'], subject: { projectId: string; keyId: string; identity?: string; issuedBy: string }): Promise<{ token: string; expiresAt: number }> {
    const now = this.deps.clock.now();
    const token = `${kind === 'link' ? 'kwl' : 'kws'}.${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + (kind === 'link' ? LINK_LIFETIME_MS : SESSION_LIFETIME_MS);
    const grant: ConsoleGrant = {
      kind,
      hash: tokenHash(token),
      projectId: subject.projectId,
      keyId: subject.keyId,
      ...(subject.identity ? { identity: subject.identity } : {}),
      issuedBy: subject.issuedBy,
      createdAt: now,
      expiresAt,
    };
    // 256 random bits: a taken hash means something is badly wrong, not bad luck.
    if (!(await this.deps.store.putConsoleGrant(grant))) throw new KeywardenError('conflict', 'Could not issue a console token; try again.');
    return { token, expiresAt };
  }
}

const LINK_TOKEN = /^kwl\.[A-Za-z0-9_-]{43}$/;
const SESSION_TOKEN = /^kws\.[A-Za-z0-9_-]{43}$/;

/** What the store keeps instead of a token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function consolePerson(identity: string): Person {
  return { identity, bot: CONSOLE_FRONT_END };
}

function describe(grant: ConsoleGrant, keyId: string): ConsoleSessionInfo {
  return {
    kind: grant.identity ? 'person' : 'key',
    actor: grant.identity ?? `key:${grant.keyId}`,
    // A link with no person and not a key's own sign-in: an operator's (linkForOperator).
    ...(!grant.identity && !grant.issuedBy.startsWith('key:') ? { operator: grant.issuedBy } : {}),
    projectId: grant.projectId,
    keyId,
    expiresAt: grant.expiresAt,
  };
}

/** One ConsoleSessions per set of services (the composition root stays as it is). */
const instances = new WeakMap<object, ConsoleSessions>();
export function consoleSessions(services: Deps): ConsoleSessions {
  let found = instances.get(services);
  if (!found) instances.set(services, (found = new ConsoleSessions(services)));
  return found;
}
