import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Services } from '../../lambdas/services';

/** Every item of the table, raw (attribute-value JSON): what a secret scan must search. */
export async function storedItems(services: Pick<Services, 'dynamo' | 'config'>): Promise<unknown[]> {
  const items: unknown[] = [];
  let start: Record<string, any> | undefined;
  do {
    const out = await services.dynamo.send(new ScanCommand({ TableName: services.config.tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
