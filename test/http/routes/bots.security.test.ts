import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The bots surface: conversation references and delivery claims. Saving a reference needs a
 * person's assertion (conversations.test.ts), a claim the bot-only proof (deliveries.test.ts).
 */
const fixture = useSecurityStack();

runSurfaceTests('bots', fixture, {
  listConversations: { needs: 'bots:read' },
});
