import { KeywardenError } from './errors';
import { requireRead } from './policy';
import { principalProject, type Principal } from './principal';
import type { Clock, Store } from './ports';
import type { ConversationRecord, ConversationReference } from './types';

/**
 * Where each bot can reach a person privately (issue 12: Teams expiry reminders go to the 1:1
 * chat captured when the person installed the bot, never a guessed one). A bot saves a
 * reference only for the person its actor assertion names — the bot-only secret signs it, so a
 * leaked viewer key alone cannot point anyone's notices elsewhere — and reads its project's
 * references with `bots:read`.
 */
export class ConversationDirectory {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async save(p: Principal, reference: ConversationReference): Promise<ConversationRecord> {
    if (p.kind !== 'key' || !p.person?.assertion) {
      throw new KeywardenError('invalid_request_error', 'Saving a conversation needs an actor assertion naming the person.', {
        param: 'X-Keywarden-Actor',
      });
    }
    const record: ConversationRecord = {
      projectId: principalProject(p),
      identity: p.person.identity,
      bot: p.person.bot,
      reference,
      updatedAt: new Date(this.deps.clock.now()).toISOString(),
    };
    await this.deps.store.putConversation(record);
    return record;
  }

  async list(p: Principal, filter: { bot?: string; identity?: string } = {}): Promise<ConversationRecord[]> {
    requireRead(p, 'bots:read');
    const records = await this.deps.store.listConversations(principalProject(p), filter.bot);
    return filter.identity ? records.filter((r) => r.identity === filter.identity) : records;
  }
}
