/**
 * Ready tasks kept sorted by (primary, secondary) key, best first. Level-1 selection walks it from
 * the front to the first task some idle server can hold, which is almost always the front.
 */
export class ReadyQueue {
  private items: number[] = [];

  constructor(
    private readonly primary: Float64Array,
    private readonly secondary: Float64Array,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Makes the order a copy of `other`'s (whose keys this queue's key arrays already hold). */
  copyFrom(other: ReadyQueue): void {
    this.items = other.items.slice();
  }

  at(index: number): number {
    return this.items[index] as number;
  }

  insert(task: number): void {
    const items = this.items;
    const p = this.primary[task] as number;
    const s = this.secondary[task] as number;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = items[mid] as number;
      const op = this.primary[other] as number;
      if (op < p || (op === p && (this.secondary[other] as number) < s)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === items.length) items.push(task);
    else items.splice(lo, 0, task);
  }

  removeAt(index: number): void {
    if (index === 0) this.items.shift();
    else this.items.splice(index, 1);
  }
}
