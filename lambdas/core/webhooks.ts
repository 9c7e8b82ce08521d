import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { AuditLog } from './audit-log';
import { listingCursors, pageSize } from './cursor';
import { KeywardenError } from './errors';
import { EVENT_TYPES, type DeliveryRecord, type EventType, type WebhookRecord } from './events';
import { hashingSecret, hashingSecrets } from './hashing';
import { randomBase62 } from './base62';
import { checkPermission, insufficient } from './policy';
import { principalActor, principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store, WebhookTransport } from './ports';
import type { Page } from './types';

/** Most webhooks one project may have. */
export const MAX_WEBHOOKS_PER_PROJECT = 20;

export interface WebhookServiceDeps {
  store: Store;
  secrets: SecretsProvider;
  clock: Clock;
  audit: AuditLog;
  /** Whether a URL may be registered (adapters/webhook-targets.ts): the sending is the relay's. */
  targets: Pick<WebhookTransport, 'refuse'>;
}

/**
 * A project's webhooks (issue 22 point 3): endpoints its lifecycle events are delivered to by the
 * relay (event-relay.ts), signed per the Standard Webhooks specification with a secret of their
 * own, shown once. Reading them needs `webhooks:read`; adding or removing one `webhooks:write`,
 * and adding one also `audit:read` without row filters — an event tells what the audit trail
 * does, so no key learns through a webhook what it could not read. A person acting through a bot
 * must be an admin of the project. Every change is audited.
 */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  async create(p: Principal, input: { url: string; events?: EventType[]; description?: string }): Promise<{ webhook: WebhookRecord; secret: string }> {
    await this.require(p, 'webhooks:write', 'webhook.create');
    if (p.kind === 'key' && !p.person) {
      const audit = checkPermission(p.key, 'audit:read');
      if (!audit.allowed || audit.filters.length > 0) {
        await this.deps.audit.record(p, 'webhook.create', 'denied', { reason: 'missing unfiltered audit:read' });
        throw new KeywardenError('insufficient_permissions', 'A webhook receives what the audit trail tells: this key needs audit:read without row filters to add one.');
      }
    }
    const refused = await this.deps.targets.refuse(input.url);
    if (refused) {
      // The reason names the rule, never what a private address answered.
      throw new KeywardenError('invalid_request_error', `This URL cannot receive webhooks: ${refused}.`, { param: 'url' });
    }
    const projectId = principalProject(p);
    if ((await this.deps.store.listWebhooks(projectId)).length >= MAX_WEBHOOKS_PER_PROJECT) {
      throw new KeywardenError('conflict', `A project has at most ${MAX_WEBHOOKS_PER_PROJECT} webhooks: remove one first.`);
    }
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const webhook: WebhookRecord = {
      id: `wh_${randomBase62(16)}`,
      projectId,
      url: input.url,
      events: input.events?.length ? [...new Set(input.events)] : [...EVENT_TYPES],
      ...(input.description?.trim() ? { description: input.description.trim() } : {}),
      sealedSecret: await this.seal(secret),
      createdAt: new Date(this.deps.clock.now()).toISOString(),
      createdBy: principalActor(p),
    };
    await this.deps.audit.record(p, 'webhook.create', 'success', { details: { webhookId: webhook.id, url: webhook.url, events: webhook.events.join(',') } }, { once: true });
    await this.deps.store.putWebhook(webhook);
    return { webhook, secret };
  }

  async list(p: Principal): Promise<WebhookRecord[]> {
    await this.require(p, 'webhooks:read');
    return this.deps.store.listWebhooks(principalProject(p));
  }

  async remove(p: Principal, id: string): Promise<void> {
    await this.require(p, 'webhooks:write', 'webhook.delete');
    const projectId = principalProject(p);
    if (!(await this.deps.store.getWebhook(projectId, id))) throw notFound(id);
    await this.deps.audit.record(p, 'webhook.delete', 'success', { details: { webhookId: id } }, { once: true });
    await this.deps.store.deleteWebhook(projectId, id);
  }

  async deliveries(p: Principal, id: string, query: { cursor?: string; limit?: number }): Promise<Page<DeliveryRecord>> {
    await this.require(p, 'webhooks:read');
    const projectId = principalProject(p);
    if (!(await this.deps.store.getWebhook(projectId, id))) throw notFound(id);
    const cursors = await listingCursors(this.deps.secrets, ['webhook-deliveries', projectId, id]);
    const page = await this.deps.store.listDeliveries(id, { cursor: cursors.open(query.cursor), limit: pageSize(query.limit) });
    return { items: page.items, nextCursor: cursors.seal(page.nextCursor) };
  }

  /** A webhook's signing secret, from its sealed form (the relay signs with it). */
  async unseal(webhook: WebhookRecord): Promise<string> {
    const [version, iv, sealed] = webhook.sealedSecret.split('.');
    if (version !== 'v1' || !iv || !sealed) throw new Error('unknown sealed secret format');
    const bytes = Buffer.from(sealed, 'base64url');
    const [current, ...older] = hashingSecrets(await hashingSecret(this.deps.secrets));
    for (const secret of [current!, ...older]) {
      let plain: string;
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealingKey(secret), Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        plain = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        // Sealed under the other hashing secret (it is being rotated): try the next.
        continue;
      }
      // Sealed under the previous hashing secret: sealed again under the current one, so the
      // webhook outlives the end of the rotation (docs/operating.md §5).
      if (secret !== current) await this.deps.store.putWebhook({ ...webhook, sealedSecret: await this.seal(plain) }, { ifSealed: webhook.sealedSecret });
      return plain;
    }
    throw new Error('webhook secret cannot be unsealed with the current hashing secrets');
  }

  /** AES-256-GCM under a key derived from the hashing secret (HKDF): the table never holds a usable secret. */
  private async seal(secret: string): Promise<string> {
    const { current } = await hashingSecret(this.deps.secrets);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sealingKey(current), iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** An operator may; a person through a bot must be a project admin; a key needs the permission. */
  private async require(p: Principal, permission: 'webhooks:read' | 'webhooks:write', action?: 'webhook.create' | 'webhook.delete'): Promise<void> {
    if (p.kind === 'operator') return;
    if (p.person) {
      if (await this.deps.store.isAdmin(p.key.projectId, p.person.identity)) return;
      if (action) await this.deps.audit.record(p, action, 'denied', { reason: 'not a project admin' });
      throw new KeywardenError('insufficient_permissions', `${p.person.identity} is not an admin of this project.`);
    }
    if (checkPermission(p.key, permission).allowed) return;
    if (action) await this.deps.audit.record(p, action, 'denied', { reason: `missing ${permission}` });
    throw insufficient(permission);
  }
}

function sealingKey(hashing: string): Buffer {
  return Buffer.from(hkdfSync('sha256', hashing, Buffer.alloc(0), 'keywarden webhook signing secrets v1', 32));
}

function notFound(id: string): KeywardenError {
  return new KeywardenError('not_found', `No webhook ${id} in this project.`);
}
