import { describe, expect, it } from 'vitest';
import { measureSlackRotate } from '../../bench/slack-rotate';

/**
 * The Slack rotate row (issue 23) as a ceiling: `/apikeys rotate <key>` and its confirmation click,
 * warm, replay-guard claims apart. What is left and why each call stays: docs/gateway.md §7. A
 * call added to either path shows here, not only in the bench's table.
 */
describe('bench: Slack /apikeys rotate with its confirmation', () => {
  it('takes two /v1 calls and at most 8 DynamoDB round trips before the answers (was 9, 11, and 13 before that)', async () => {
    const figures = await measureSlackRotate();
    const seen = JSON.stringify({ command: figures.command, click: figures.click });
    expect(figures.hops).toBe(2);
    // The command: the bot key's admission, the listing query, then one BatchGetItem of the
    // matching keys with the person's admin entry (no GetItem of its own).
    expect(figures.command.commands, seen).toEqual(['UpdateItem', 'Query', 'BatchGetItem']);
    // The click: admission, one BatchGetItem (key, admin entry, account policy), then the writes.
    expect(figures.click.commands.slice(0, 2), seen).toEqual(['UpdateItem', 'BatchGetItem']);
    expect(figures.click.commands, seen).not.toContain('GetItem');
    // Then three writes, one after the other: the audit record (spends the person's assertion),
    // the replacement (carrying the pending event and its own listing), the old key's mark. The
    // event's and the listing's own items are after-answer work, with the event's confirmation.
    expect(figures.click.commands, seen).toEqual(['UpdateItem', 'BatchGetItem', 'PutItem', 'PutItem', 'UpdateItem']);
    expect(figures.roundTrips, seen).toBeLessThanOrEqual(8);
    expect(figures.steps).toBeLessThanOrEqual(figures.roundTrips);
  }, 60_000);
});
