import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * OpenAI's Conversations API through the gateway: who may touch a conversation at all (the scope
 * of the model calls that create and continue conversations). Whose conversation it is (another
 * project's is 404) is test/http/conversations/.
 */
const fixture = useSecurityStack();

runSurfaceTests('conversations', fixture, {
  createConversation: { needs: 'responses:write' },
  getConversation: { needs: 'responses:write' },
  updateConversation: { needs: 'responses:write', body: { metadata: { a: 'b' } } },
  deleteConversation: { needs: 'responses:write' },
  listConversationItems: { needs: 'responses:write' },
  createConversationItems: { needs: 'responses:write', body: { items: [{ type: 'message', role: 'user', content: 'hi' }] } },
  getConversationItem: { needs: 'responses:write' },
  deleteConversationItem: { needs: 'responses:write' },
});
