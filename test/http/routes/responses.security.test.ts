import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The responses surface (the model calls): who may call a model. */
const fixture = useSecurityStack();

runSurfaceTests('responses', fixture, {
  createResponse: { needs: 'responses:write', body: { model: 'archibot', input: 'hi' } },
  createChatCompletion: { needs: 'responses:write', body: { model: 'archibot', messages: [{ role: 'user', content: 'hi' }] } },
});
