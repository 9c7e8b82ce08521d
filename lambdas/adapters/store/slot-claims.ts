/** Concurrency slots this instance is claiming or holds, per key: never planned twice here (key-admission.ts). */
export class SlotClaims {
  private readonly byKey = new Map<string, Set<number>>();

  /** The slots of key `id` claimed here (undefined: none). */
  of(id: string): Set<number> | undefined {
    return this.byKey.get(id);
  }

  claim(id: string, index: number): void {
    const set = this.byKey.get(id) ?? new Set<number>();
    set.add(index);
    this.byKey.set(id, set);
  }

  release(id: string, index: number): void {
    const set = this.byKey.get(id);
    set?.delete(index);
    if (set?.size === 0) this.byKey.delete(id);
  }
}
