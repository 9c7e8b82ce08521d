import { findKeysInText } from '../../../lambdas/core/key-scan';
import { teamsMount } from '../../../bots/teams';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { useHarness, type Used } from '../use-harness';
import { post } from './activities';
import { startConnectorStandIn, type ConnectorStandIn } from './connector-stand-in';

/**
 * The real local stack with the Teams bot mounted at /api/messages, and the stand-in connector
 * the bot replies to. KEYWARDEN_ADMINS makes teams:tenant1:aad-admin a project admin.
 */
export interface TeamsHarness {
  stack: TestStack;
  connector: ConnectorStandIn;
  /** POSTs an activity to /api/messages as the Bot Framework Service would. */
  send(activity: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export const ADMIN_IDENTITY = 'teams:tenant1:aad-admin';

export async function startTeamsHarness(env: Record<string, string> = {}): Promise<TeamsHarness> {
  const connector = await startConnectorStandIn();
  const stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN_IDENTITY, ...env }, { '/api/messages': teamsMount });
  return {
    stack,
    connector,
    send: (activity, headers) => post(stack.url, activity, headers),
    async close() {
      await stack.stop();
      await connector.close();
    },
  };
}

/**
 * A Teams harness for the tests of this file or describe block (see useHarness): started with
 * `env` and its output captured before the first test, the connector reset before each, closed
 * after the last. `serviceUrl` is the stand-in connector's, for the activities the tests send.
 */
export function useTeamsHarness(env: Record<string, string> = {}): Used<TeamsHarness & { serviceUrl: string }> {
  return useHarness({
    start: async () => {
      const harness = await startTeamsHarness(env);
      return { ...harness, serviceUrl: harness.connector.url };
    },
    stop: (harness) => harness.close(),
    reset: (harness) => harness.connector.reset(),
  });
}

/** The Adaptive Card a bot activity carries, if any. */
export function cardOf(call: { activity: { attachments?: { contentType: string; content: any }[] } }): any {
  return call.activity.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

/** Every TextBlock text and FactSet value of a card, flattened, for assertions. */
export function cardText(card: any): string {
  const out: string[] = [];
  const walk = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (node.type === 'TextBlock') out.push(node.text);
    if (node.type === 'FactSet') for (const f of node.facts) out.push(`${f.title}: ${f.value}`);
    walk(node.body);
    walk(node.items);
  };
  walk(card);
  return out.join('\n');
}

/** Every key, in any shape a reader would see, the bot ever posted outside a personal (1:1) chat: must stay empty. */
export function keysOutsidePersonalChats(h: TeamsHarness): string[] {
  return h.connector.history.filter((c) => !c.conversationId.startsWith('a:personal-')).flatMap((c) => findKeysInText(JSON.stringify(c)));
}
