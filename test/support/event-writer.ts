/**
 * A second process for the outbox's crash test (event-crash.test.ts): it opens the running local
 * stack's store through `endpoint` (the test's DynamoDB proxy, which SIGKILLs it at the request
 * the test chose) and revokes one key as an operator — the audit record and the pending event,
 * the revocation with its marker, then the confirmation. It never gets past the request the test
 * kills it at.
 *
 *   node --import tsx test/support/event-writer.ts <dataDir> <endpoint> <projectId> <keyId>
 */
import { DataDir, withEnvironment } from '../../lambdas/local/data-dir';
import { openLocalServices } from '../../lambdas/local/local-services';

const [dir, endpoint, projectId, keyId] = process.argv.slice(2);
const dataDir = DataDir.open(dir!);
const env = { ...process.env, DATA_DIR: dir };
const services = await openLocalServices({ env, dynamodbEndpoint: endpoint!, secrets: withEnvironment(dataDir.secrets(), env) });
await services.keys.revoke({ kind: 'operator', actor: 'cli:crash-test', projectId: projectId! }, keyId!);
process.stdout.write('revoked and confirmed\n');
