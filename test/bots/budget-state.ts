import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { periodEnd } from '../../lambdas/core/budget';
import { itemKey } from '../../lambdas/adapters/store/table';
import type { Budget } from '../../lambdas/core/types';
import type { TestStack } from '../support/local-stack';

/**
 * Puts a key's budget where a test wants it: `budget`, and `spent` credits of it in the period
 * holding the stack's now — the state admission and settlement keep on the key item (KeyRecord
 * `budget`, `budgetLeft`, `budgetResetAt`, lambdas/core/types.ts), written as they write it, so
 * the bots read it through `GET /v1/keys` exactly as after real calls, without spending through
 * a model for each percent.
 */
export async function setBudgetState(stack: TestStack, keyId: string, budget: Budget, spent: number): Promise<void> {
  const now = stack.clock.now();
  const doc = DynamoDBDocumentClient.from(stack.services.dynamo);
  await doc.send(
    new UpdateCommand({
      TableName: stack.services.config.tableName,
      Key: itemKey.key(keyId),
      UpdateExpression: 'SET budget = :b, budgetLeft = :left, budgetResetAt = :reset',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':b': budget, ':left': budget.credits - spent, ':reset': periodEnd(budget.period, now) },
    }),
  );
}
