/**
 * Per item key (a key id): what waits to be written, sent in batches while fewer than `inFlight`
 * batches of that key are out — the admissions' and the releases' group commit
 * (key-admission.ts). Nothing waits for company: with a lane free, an item goes out at once; what
 * arrives while every lane is busy shares the next batch. `take` picks a batch from the queue (the
 * rest keep their order); `send` answers each item of it and never throws.
 */
export class KeyedBatches<T> {
  private readonly waiting = new Map<string, T[]>();
  private readonly flying = new Map<string, number>();

  constructor(
    private readonly options: {
      inFlight: number;
      take: (id: string, queue: readonly T[]) => T[];
      send: (id: string, batch: T[]) => Promise<void>;
    },
  ) {}

  add(id: string, item: T): void {
    this.waiting.set(id, [...(this.waiting.get(id) ?? []), item]);
    this.pump(id);
  }

  /** Puts `items` back at the front of key `id`'s queue: they go out with the next batch. */
  requeue(id: string, items: readonly T[]): void {
    this.waiting.set(id, [...items, ...(this.waiting.get(id) ?? [])]);
  }

  private pump(id: string): void {
    for (;;) {
      const queue = this.waiting.get(id);
      if (!queue?.length || (this.flying.get(id) ?? 0) >= this.options.inFlight) return;
      const batch = this.options.take(id, queue);
      const sent = new Set(batch);
      const rest = queue.filter((item) => !sent.has(item));
      if (rest.length) this.waiting.set(id, rest);
      else this.waiting.delete(id);
      this.flying.set(id, (this.flying.get(id) ?? 0) + 1);
      void this.options.send(id, batch).finally(() => {
        const left = (this.flying.get(id) ?? 1) - 1;
        if (left > 0) this.flying.set(id, left);
        else this.flying.delete(id);
        this.pump(id);
      });
    }
  }
}
