/**
 * Group commit for the daily counters' additions (usage-days.ts; usage and owner records share
 * calls through TableAccess.putOwed instead, and a key's releases through its keyed batches): a
 * write goes out at once when none is in flight; what arrives while one is in flight shares the
 * next round trip. Nothing waits for company — with one request at a time (a Lambda instance)
 * every write is sent as soon as it is asked for, exactly as before — but a busy long-running
 * server (the local stack) sends far fewer round trips. Each caller's promise settles with the
 * write that carried its item.
 */
export class GroupCommit<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;

  constructor(
    private readonly options: {
      /** Writes the items (all or nothing, as far as the callers are told). */
      write: (items: T[]) => Promise<void>;
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
      const batch = this.queue;
      this.queue = [];
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
}
