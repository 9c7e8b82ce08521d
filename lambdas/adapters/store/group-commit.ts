/**
 * Group commit for writes made after the answer (settlement refunds, daily counters; usage and owner
 * records share calls through TableAccess.putOwed instead): a write goes
 * out at once when none is in flight; what arrives while one is in flight shares the next round
 * trip. Nothing waits for company — with one request at a time (a Lambda instance) every write is
 * sent as soon as it is asked for, exactly as before — but a busy long-running server (the local
 * stack) sends far fewer round trips. Each caller's promise settles with its own write.
 */
export class GroupCommit<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;

  constructor(
    private readonly options: {
      /** Most items one write carries. */
      maxBatch: number;
      /** Writes the items (all or nothing, as far as the callers are told). */
      write: (items: T[]) => Promise<void>;
      /** Items with the same slot never share a write (a batch may not name one item twice). */
      slotOf?: (item: T) => string;
      /** Called once the queue is empty and nothing is in flight. */
      onIdle?: () => void;
    },
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.take();
      try {
        await this.options.write(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve();
      } catch (err) {
        for (const entry of batch) entry.reject(err);
      }
    }
    this.running = false;
    this.options.onIdle?.();
  }

  /** The oldest items, up to maxBatch, no two in one slot; the rest keep their order. */
  private take(): typeof this.queue {
    const slotOf = this.options.slotOf;
    if (!slotOf) return this.queue.splice(0, this.options.maxBatch);
    const taken: typeof this.queue = [];
    const rest: typeof this.queue = [];
    const slots = new Set<string>();
    for (const entry of this.queue) {
      const slot = slotOf(entry.item);
      if (taken.length < this.options.maxBatch && !slots.has(slot)) {
        slots.add(slot);
        taken.push(entry);
      } else rest.push(entry);
    }
    this.queue = rest;
    return taken;
  }
}
