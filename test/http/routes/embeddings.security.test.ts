import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The embeddings surface (a model call, never streamed): who may embed. */
const fixture = useSecurityStack();

runSurfaceTests('embeddings', fixture, {
  createEmbedding: { needs: 'responses:write', body: { model: 'archibot', input: 'hi' } },
});
