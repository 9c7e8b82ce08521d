import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The DynamoDB client: the SDK's defaults in AWS. With an endpoint on loopback (the local stack's
 * dynalite, a test's, or a proxy or DynamoDB Local on this machine), a fixed region and
 * placeholder credentials, which such a server accepts. Any other endpoint (a real table behind a
 * VPC endpoint, DynamoDB Local on another host) may check signatures: region and credentials come
 * from the environment as the SDK finds them, never made up here.
 */
export function createDynamoClient(endpoint?: string): DynamoDBClient {
  if (!endpoint) return new DynamoDBClient({});
  if (!isLoopback(endpoint)) return new DynamoDBClient({ endpoint, maxAttempts: 3 });
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** Whether an endpoint URL names this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopback(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
