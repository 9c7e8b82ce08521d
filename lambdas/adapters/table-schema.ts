/**
 * The single table's physical schema, shared by the CDK stateful stack and the local/test
 * table creation so that both always agree. Item layouts live in dynamodb-store.ts.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Lists keys per project and audit records per key. */
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Audit records per actor. */
  gsi2: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  /** Epoch seconds; DynamoDB TTL deletes old audit records in AWS. Never relied on for correctness. */
  ttlAttribute: 'ttl',
} as const;
