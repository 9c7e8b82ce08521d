import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The DynamoDB client: the SDK's defaults in AWS; with an endpoint (the local stack's or a test's
 * dynalite on loopback), a fixed region and placeholder credentials, which dynalite accepts.
 */
export function createDynamoClient(endpoint?: string): DynamoDBClient {
  if (!endpoint) return new DynamoDBClient({});
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}
