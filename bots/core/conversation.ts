import { SCOPES } from '../../lambdas/core/scopes';
import type { ApiError, ApiIssuedKey, ApiKey, ApiResult, BotName, CreateKeyRequest } from './api-types';
import { HELP, commandWord, parseCommand, suggestCommand, tokenize, validateCreateOptions, type Command, type CreateOptions, type RawCreateFields } from './command-grammar';
import { actionFailure, apiFailure, chatFailure, notAdmin } from './failure-replies';
import { applyChange, CHANGE_ACTIONS, changeQuestion, type ChangeCommand } from './key-changes';
import type { AdminAction, KeywardenClient } from './keywarden-client';
import { isWholeKey, pickKey, resolveKey, searchableRef, type ResolvedKey } from './key-resolver';
import { keyLine, startPreview } from './key-text';
import { findLeaks, type LeakFinding } from './leak-guard';
import { exposedQuestion, exposureUsageReply, replaceQuestion, replacementRequest, reportExposed, type ExposureButton } from './exposure-notices';
import { isStale, type PendingAction } from './pending-action';
import type { PrivateDelivery } from './private-delivery';
import type { RotationOrigin } from './rotation-origin';
import { looksLikeKey } from '../../lambdas/core/key-scan';
import { redactKeys } from '../../lambdas/core/redact-keys';
import { errorReply, type ErrorReply, type NewKeyReply, type Reply } from './replies';
import { issuedKeyReply } from './issued-key';
import { usageReport } from './usage-report';
import { askForKey } from './key-request-command';
import { runRequestCeiling } from './request-ceiling-runner';
import { parseFailureReply } from './parse-failure';
import { collectKey, keyRequestButton, type KeyRequestButton, type PersonNotifier } from './key-request-approvals';

/** Longest chat message forwarded to the model. */
export const MAX_CHAT_CHARS = 4000;

export interface ConversationOptions {
  client: KeywardenClient;
  now?: () => number;
  /** Reaches admins and requesters privately for key requests (the edge's; without it, no cards). */
  notifier?: PersonNotifier;
}

/**
 * The platform-neutral conversation: parses command text, decides who may be offered what, calls
 * /v1 and answers with `Reply` data; new keys go out through the edge's `PrivateDelivery`.
 * Identities are platform identities (`slack:T…:U…`, `teams:<tenant>:<aad>`) that the edge took
 * from a verified platform request; the core never trusts identities found in message text or
 * button values.
 *
 * Who may act is the API's decision: every key-changing call carries the person's assertion, and
 * the API refuses and audits a non-admin. The core asks the API beforehand (`POST
 * /v1/admins/check`, audited the same way) only where no such call would answer yet: before it
 * offers a confirmation or the create form, and before a private chat is opened for a key.
 */
export class Conversation {
  readonly bot: BotName;
  private readonly client: KeywardenClient;
  private readonly now: () => number;
  private readonly notifier?: PersonNotifier;

  constructor(options: ConversationOptions) {
    this.client = options.client;
    this.notifier = options.notifier;
    this.bot = options.client.bot;
    this.now = options.now ?? Date.now;
  }

  /** True when `text` starts with a command word (used to route mentions and DMs). */
  isCommand(text: string): boolean {
    return commandWord(text) !== undefined;
  }

  /**
   * An explicit command line (Slack `/apikeys …`). Empty text is `help`. `delivery` reaches the
   * asker privately, for a key this command issues.
   */
  async command(text: string, asker: string, delivery: PrivateDelivery): Promise<Reply> {
    const parsed = parseCommand(text);
    if (!parsed.ok) return parseFailureReply(parsed);
    return this.run(parsed.command, asker, delivery);
  }

  /**
   * A mention or direct message: a command when it starts with a command word; a lone word one
   * typo away from a command gets "did you mean"; anything else is a chat with the model.
   */
  async message(text: string, asker: string, delivery: PrivateDelivery): Promise<Reply> {
    const trimmed = text.trim();
    if (!trimmed) return { kind: 'help', entries: HELP };
    if (this.isCommand(trimmed)) return this.command(trimmed, asker, delivery);
    const tokens = tokenize(trimmed);
    if (tokens.length === 1) {
      const suggestion = suggestCommand(tokens[0]!);
      if (suggestion) return errorReply('unknown_command', `Did you mean \`${suggestion}\`? Say \`help\` for the commands.`);
    }
    return this.chat(trimmed);
  }

  async run(command: Command, asker: string, delivery: PrivateDelivery): Promise<Reply> {
    switch (command.name) {
      case 'help':
        return command.topic ? { kind: 'help', entries: HELP, topic: command.topic } : { kind: 'help', entries: HELP };
      case 'whoami': return this.whoami(asker);
      case 'console': return this.consoleLink(asker, delivery);
      case 'list': {
        if (command.search && isWholeKey(command.search)) {
          const found = await this.resolve(command.search);
          return found.ok ? { kind: 'key_list', keys: [found.key], more: false, search: redactKeys(command.search) } : found.reply;
        }
        const result = await this.client.listKeys({ search: command.search, limit: 25 });
        if (!result.ok) return apiFailure(result.error);
        return { kind: 'key_list', keys: result.value.keys, more: result.value.more, ...(command.search ? { search: command.search } : {}) };
      }
      case 'show': {
        const found = await this.resolve(command.key);
        return found.ok ? { kind: 'key_details', key: found.key } : found.reply;
      }
      case 'usage': {
        if (!command.key) return usageReport(this.client, undefined, this.now());
        const found = await this.resolve(command.key);
        return found.ok ? usageReport(this.client, found.key, this.now()) : found.reply;
      }
      case 'audit': {
        const found = await this.resolve(command.key);
        if (!found.ok) return found.reply;
        const entries = await this.client.audit({ keyId: found.key.id, limit: 20 });
        return entries.ok ? { kind: 'audit_list', key: found.key, entries: entries.value } : apiFailure(entries.error);
      }
      case 'create': {
        if (!command.interactive) return this.create(command.options, asker, delivery);
        // Nothing is called yet that would answer: ask before offering the form.
        const refusal = await this.requireAdmin(asker, 'key.create');
        return refusal ?? { kind: 'create_form', defaults: { type: 'privileged' }, scopes: SCOPES };
      }
      case 'rotate':
      case 'revoke':
      case 'delete':
        return this.askConfirmation(command, asker);
      case 'exposed': {
        // Anyone may ask: whether they may report it is the API's answer when the confirmation comes back.
        const found = await this.resolve(command.key);
        return found.ok ? exposedQuestion(found.key, this.now()) : found.reply;
      }
      case 'pause':
      case 'resume':
      case 'limit':
      case 'budget':
        return this.askChange(command, asker);
      // The channel is the edge's, from the verified payload: its ceiling bounds the request.
      case 'request': return askForKey(this.client, command.options, asker, this.notifier, delivery.channel);
      case 'request-ceiling': return runRequestCeiling(this.client, command.ceiling, asker, delivery.channel);
      case 'collect': return collectKey(this.client, command.requestId, asker, delivery);
    }
  }

  /** A key request's Approve / Deny (with the reason typed) / Collect key, as the clicker (key-request-approvals.ts). */
  keyRequestButton(button: KeyRequestButton, clicker: string, delivery: PrivateDelivery, reason?: string): Promise<Reply> {
    return keyRequestButton(this.client, this.notifier, button, clicker, delivery, reason);
  }

  /** The create form came back (Slack modal submission, Teams card). */
  async submitCreate(fields: RawCreateFields, asker: string, delivery: PrivateDelivery): Promise<Reply> {
    const checked = validateCreateOptions(fields);
    if (!checked.ok) return errorReply('invalid_command', checked.message);
    return this.create(checked.options, asker, delivery);
  }

  /**
   * A confirmation or leak-alert button was clicked. `clicker` is the identity of the person who
   * clicked, from the platform's verified payload — never from the button value; the action call
   * carries their assertion, so the API refuses (and audits) a clicker who is not an admin.
   * `delivery` reaches the clicker privately, for the key a rotation issues; `origin`, where the click was (rotation-origin.ts).
   */
  async confirm(action: PendingAction, clicker: string, delivery: PrivateDelivery, origin?: RotationOrigin): Promise<Reply> {
    if (isStale(action, this.now())) {
      return errorReply('stale_confirmation', 'This confirmation has expired. Run the command again to see the key’s current state.');
    }
    switch (action.op) {
      case 'rotate':
        return this.issue('rotate', clicker, delivery, () => this.client.rotateKey(clicker, action.keyId, action.overlap, origin), action.keyId);
      case 'revoke': {
        // The answer is the revoked key as it now stands: nothing more to ask.
        const result = await this.client.revokeKey(clicker, action.keyId);
        return result.ok ? { kind: 'done', action: 'revoke', key: result.value, by: clicker } : actionFailure(result.error);
      }
      case 'delete': {
        // A deleted key is gone from the answer: read it first, to say what was deleted.
        const before = await this.client.getKey(action.keyId);
        if (!before.ok) return apiFailure(before.error);
        const result = await this.client.deleteKey(clicker, action.keyId);
        return result.ok ? { kind: 'done', action: 'delete', key: before.value, by: clicker } : actionFailure(result.error);
      }
      case 'pause':
      case 'resume':
      case 'limit':
      case 'budget':
        return applyChange(this.client, action, clicker);
      case 'expose':
        return reportExposed(this.client, action.keyId, clicker, `reported in ${this.bot === 'slack' ? 'Slack' : 'Teams'} by ${clicker}`, this.now());
      case 'replace': {
        // Read at the click: the replacement copies the exposed key as it now stands.
        const old = await this.client.getKey(action.keyId);
        if (!old.ok) return apiFailure(old.error);
        return this.issue('create', clicker, delivery, () => this.client.createKey(clicker, replacementRequest(old.value)));
      }
    }
  }

  /**
   * A button on an exposure notice (exposure-notices.ts): `Show usage` for whoever clicks (a read);
   * `Create replacement` asks its confirmation of an admin only (the API asked, audited when refused).
   */
  async exposureButton(button: ExposureButton, clicker: string): Promise<Reply> {
    if (button.op === 'usage') return exposureUsageReply(this.client, button.keyId);
    const refusal = await this.requireAdmin(clicker, 'key.create');
    if (refusal) return refusal;
    const key = await this.client.getKey(button.keyId);
    if (!key.ok) return apiFailure(key.error);
    if (key.value.type !== 'system') return replaceQuestion(key.value, this.now());
    // The Automator key as it now stands: the exposed one's replacement (or a later one's).
    let current: ApiKey | undefined = key.value;
    for (let hop = 0; current?.replacedBy && hop < 5; hop++) {
      const next = await this.client.getKey(current.replacedBy);
      current = next.ok ? next.value : undefined;
    }
    return replaceQuestion(key.value, this.now(), current && current.id !== key.value.id ? current : undefined);
  }

  /**
   * `Raise budget…` on a budget alert: the key as it stands, for a form that asks the new budget
   * — offered to an admin only (asked of the API, audited when refused); what they enter then
   * goes through `budget <id> <amount>` and its confirmation like any command.
   */
  async budgetForm(keyId: string, clicker: string): Promise<{ kind: 'budget_form'; key: ApiKey } | ErrorReply> {
    const refusal = await this.requireAdmin(clicker, CHANGE_ACTIONS.budget, keyId);
    if (refusal) return refusal;
    const key = await this.client.getKey(keyId);
    if (!key.ok) return apiFailure(key.error);
    if (key.value.status === 'revoked' || key.value.status === 'expired') return errorReply('refused', `${keyLine(key.value, this.now())} is ${key.value.status}: its budget cannot change.`);
    return { kind: 'budget_form', key: key.value };
  }

  /** Cancel on a confirmation: only an admin answers one (where others can see it, they might click). */
  async cancel(clicker: string): Promise<Extract<Reply, { kind: 'cancelled' | 'error' }>> {
    const admin = await this.isAdmin(clicker);
    if (admin === true) return { kind: 'cancelled', by: clicker };
    return admin === false ? errorReply('not_admin', 'Only project admins can answer this confirmation.') : apiFailure(admin);
  }

  /** End-user chat through /v1/responses with the viewer key. */
  async chat(text: string): Promise<Reply> {
    if (looksLikeKey(text)) {
      return {
        kind: 'text',
        text: 'That message contains something that looks like an API key, so I did not send it anywhere. Please don’t paste keys in chat; if it is a real key, ask an admin to rotate it.',
      };
    }
    const result = await this.client.respond(text.slice(0, MAX_CHAT_CHARS));
    if (!result.ok) return chatFailure(result.error);
    return { kind: 'chat_answer', text: redactKeys(result.value.text) || '(The model returned no text.)' };
  }

  /** Leak guard for channel text (leak-guard.ts): live keys, revoked at once; `location` names where they were posted. */
  scanForLeaks(text: string, poster: string, location: string): Promise<LeakFinding[]> {
    return findLeaks(this.client, text, poster, location, this.now());
  }

  /** Is this identity an admin of the bot's project? (From `GET /v1/admins`; the API re-checks every action.) */
  private async isAdmin(identity: string): Promise<boolean | ApiError> {
    const admins = await this.client.admins();
    return admins.ok ? admins.value.includes(identity) : admins.error;
  }

  /**
   * `requireAdmin`, then the key `ref` names: one /v1 call when the API's search can answer it,
   * else the two side by side. A refusal comes first, whatever the lookup found.
   */
  private async adminAndKey(identity: string, action: AdminAction, ref: string): Promise<ResolvedKey> {
    const search = searchableRef(ref);
    if (search === undefined) {
      const [refusal, found] = await Promise.all([this.requireAdmin(identity, action), this.resolve(ref)]);
      return refusal ? { ok: false, reply: refusal } : found;
    }
    const check = await this.client.checkAdmin(identity, action, { search });
    if (!check.ok) return { ok: false, reply: apiFailure(check.error) };
    if (!check.value.admin) return { ok: false, reply: notAdmin() };
    return pickKey(ref, check.value.matches ?? []);
  }

  /** Refuses a non-admin before anything is offered; the API records the refusal in the audit trail. */
  private async requireAdmin(identity: string, action: AdminAction, keyId?: string): Promise<ErrorReply | undefined> {
    const check = await this.client.checkAdmin(identity, action, { keyId });
    if (!check.ok) return apiFailure(check.error);
    return check.value.admin ? undefined : notAdmin();
  }

  /**
   * A one-time console sign-in link (5 minutes, single use) for an admin. It signs the person in,
   * so it is said only where the answer is private already (Slack: every answer; Teams: the 1:1
   * chat) — asked anywhere else, the person is told to ask there.
   */
  private async consoleLink(asker: string, delivery: PrivateDelivery): Promise<Reply> {
    if (delivery.needsOpening) {
      return errorReply('refused', 'Ask me for a console link in our 1:1 chat: the link signs you in, so I only ever send it there.');
    }
    const link = await this.client.consoleLink(asker);
    if (!link.ok) return actionFailure(link.error);
    return { kind: 'console_link', url: link.value.url, expiresAt: link.value.expiresAt };
  }

  private async whoami(identity: string): Promise<Reply> {
    const [me, admin] = await Promise.all([this.client.me(true), this.isAdmin(identity)]);
    if (!me.ok) return apiFailure(me.error);
    return {
      kind: 'whoami',
      identity,
      isAdmin: admin === true,
      project: me.value.project,
      botKey: { id: me.value.id, start: me.value.start },
      environment: me.value.environment,
    };
  }

  private create(options: CreateOptions, asker: string, delivery: PrivateDelivery): Promise<Reply> {
    return this.issue('create', asker, delivery, () =>
      this.client.createKey(asker, {
        ...(options.name ? { name: options.name } : {}),
        ...(options.type ? { type: options.type } : {}),
        // Words as the person typed them: the API checks them against the vocabulary and answers 400.
        ...(options.scopes ? { scopes: options.scopes as NonNullable<CreateKeyRequest['scopes']> } : {}),
        ...(options.expires ? { expiresIn: options.expires } : {}),
        ...(options.prefix ? { prefix: options.prefix } : {}),
      }),
    );
  }

  /**
   * Issues a key (create, rotate) to `person` privately. Open first, act second: the private
   * place is opened before the API is asked, so a person the bot cannot reach never has a key
   * nobody can see. Opening something (a Teams 1:1 chat) waits for the API's word that the
   * person is an admin; otherwise the action call itself is the check. A key that cannot be
   * delivered: created — revoked at once, as the person; rotated — the old key's users must not
   * break, so the person is told to rotate again.
   */
  private async issue(
    action: 'create' | 'rotate',
    person: string,
    delivery: PrivateDelivery,
    call: () => Promise<ApiResult<ApiIssuedKey>>,
    keyId?: string,
  ): Promise<Reply> {
    if (delivery.needsOpening) {
      const refusal = await this.requireAdmin(person, `key.${action}`, keyId);
      if (refusal) return refusal;
    }
    const opened = await delivery.open();
    if (!opened.ok) return errorReply('no_private_channel', opened.message);
    const result = await call();
    if (!result.ok) return actionFailure(result.error);
    const reply = issuedKeyReply(action, result.value, person, this.now());
    try {
      await opened.channel.deliver(reply);
    } catch {
      return this.undelivered(reply);
    }
    const { secret: _secret, setupScript: _script, to: _to, ...said } = reply;
    return { ...said, kind: 'key_delivered', where: opened.channel.where };
  }

  private async undelivered(reply: NewKeyReply): Promise<Reply> {
    const start = startPreview(reply.key);
    if (reply.action === 'rotate') {
      return errorReply('undelivered', `Rotated key “${reply.key.name}”, but I could not deliver the new key (${start}) privately. Rotate it again to get one you can see.`);
    }
    const undo = await this.client.revokeKey(reply.to, reply.key.id);
    return errorReply(
      'undelivered',
      undo.ok
        ? `I could not deliver the new key privately, so I revoked it (${start}) before anyone could use it. Try again.`
        : `I could not deliver the new key (${start}) privately, and revoking it failed too: revoke it now.`,
    );
  }

  /**
   * What a confirmation will hit. Nothing called so far would refuse a non-admin, so the API is
   * asked (and audits a "no") before a confirmation is shown: a non-admin never sees one. A key
   * named by name or start is looked up in the same call (the check's `search`); an id or a
   * whole key alongside it.
   */
  private async askConfirmation(command: Extract<Command, { name: 'rotate' | 'revoke' | 'delete' }>, asker: string): Promise<Reply> {
    const found = await this.adminAndKey(asker, `key.${command.name}`, command.key);
    if (!found.ok) return found.reply;
    const key = found.key;
    const now = this.now();
    if (key.protected && command.name !== 'rotate') {
      return errorReply('refused', `${keyLine(key, now)} is the Protected Automator key: it can be rotated, never ${command.name}d.`);
    }
    if (command.name === 'rotate' && (key.status === 'revoked' || key.replacedBy)) {
      return errorReply('refused', `${keyLine(key, now)} was already ${key.replacedBy ? `rotated (replacement ${key.replacedBy})` : 'revoked'}.`);
    }
    if (command.name === 'revoke' && key.status === 'revoked') {
      return { kind: 'text', text: `${keyLine(key, now)} is already revoked.` };
    }
    const overlap = command.name === 'rotate' ? command.overlap : undefined;
    const consequence = {
      rotate: overlap ? `A replacement is issued; the old key keeps working for ${overlap}, then stops.` : 'A replacement is issued and the old key stops working immediately.',
      revoke: 'The key stops working immediately; it stays listed for audit.',
      delete: 'The key is removed and stops working immediately.',
    }[command.name];
    const verb = { rotate: 'Rotate', revoke: 'Revoke', delete: 'Delete' }[command.name];
    return {
      kind: 'confirm',
      key,
      summary: `${verb} ${keyLine(key, now)}? ${consequence}`,
      consequence,
      action: { v: 1, op: command.name, keyId: key.id, origin: 'confirm', iat: Math.floor(now / 1000), ...(overlap ? { overlap } : {}) },
    };
  }

  /**
   * pause / resume / limit: asked like rotate (the admin check and the key in one call where it
   * can), then the change as before → after, on the version read (key-changes.ts).
   */
  private async askChange(command: ChangeCommand, asker: string): Promise<Reply> {
    const found = await this.adminAndKey(asker, CHANGE_ACTIONS[command.name], command.key);
    return found.ok ? changeQuestion(command, found.key, this.now()) : found.reply;
  }

  /** `<key>` as id, name, start or whole value → one key, or what to say instead (key-resolver.ts). */
  resolve(ref: string): Promise<ResolvedKey> {
    return resolveKey(this.client, ref);
  }
}

