import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../lambdas/adapters/store/group-commit';

interface Item {
  id: number;
  /** The write carrying this item fails. */
  poison: boolean;
}

describe('GroupCommit', () => {
  it('writes every item exactly once, in order, one write at a time; a failed write fails exactly its own callers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ poison: fc.nat({ max: 9 }).map((n) => n === 0), gap: fc.nat({ max: 2 }) }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 10 }),
        async (plan, delays) => {
          const batches: Item[][] = [];
          let inFlight = 0;
          let maxInFlight = 0;
          const queue = new GroupCommit<Item>({
            write: async (items) => {
              inFlight++;
              maxInFlight = Math.max(maxInFlight, inFlight);
              batches.push(items);
              await new Promise((resolve) => setTimeout(resolve, delays[batches.length % delays.length]));
              inFlight--;
              if (items.some((i) => i.poison)) throw new Error(`batch ${batches.length}`);
            },
          });
          const outcomes: Promise<'ok' | 'failed'>[] = [];
          for (const [id, step] of plan.entries()) {
            outcomes.push(queue.add({ id, poison: step.poison }).then(() => 'ok' as const, () => 'failed' as const));
            for (let i = 0; i < step.gap; i++) await Promise.resolve();
          }
          const settled = await Promise.all(outcomes);
          // One write at a time; each item exactly once, in the order added.
          expect(maxInFlight).toBe(1);
          expect(batches.flat().map((i) => i.id)).toEqual(plan.map((_, id) => id));
          // A caller hears about its own batch, nobody else's.
          for (const batch of batches) {
            const failed = batch.some((i) => i.poison);
            for (const item of batch) expect(settled[item.id]).toBe(failed ? 'failed' : 'ok');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sends the first item at once, alone: nothing waits for company', async () => {
    const batches: number[][] = [];
    const queue = new GroupCommit<number>({ write: async (items) => void batches.push(items) });
    const first = queue.add(1);
    expect(batches).toEqual([[1]]); // written before add() returned
    await first;
    await queue.add(2);
    expect(batches).toEqual([[1], [2]]);
  });

  it('what arrives while a write is in flight shares the next one', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const queue = new GroupCommit<number>({
      write: async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    const all = [queue.add(1), queue.add(2), queue.add(3), queue.add(4)];
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all(all);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });
});
