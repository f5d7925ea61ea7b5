/**
 * A first-in first-out queue of a session's deliveries: `push` at the tail, `shift`
 * from the head in O(1), whatever its length (a plain array's `shift` copies the
 * whole array, which on a queue of 100,000 made every send cost a copy). It is the
 * one representation of a session's queue, so that a later paging of long queues to
 * the store can replace it behind the same methods.
 */
/**
 * The items of every empty queue: most queues stay empty for their whole life, and an
 * array of their own costs each one 32 bytes (issue 19). Frozen, so a push that missed
 * {@link DeliveryQueue.push}'s check throws instead of filling every queue at once.
 */
const NONE: never[] = Object.freeze([]) as unknown as never[];

export class DeliveryQueue<T> {
  private items: (T | undefined)[] = NONE;
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  push(item: T): void {
    if (this.items === NONE) this.items = [];
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Give the consumed slots back once they are most of the array.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    } else if (this.head === this.items.length) {
      this.items = NONE;
      this.head = 0;
    }
    return item;
  }

  /** Puts items back at the head, in their order (they were taken and could not go). */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    if (items.length <= this.head) {
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) this.items[this.head + i] = items[i];
      return;
    }
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Removes the items `take` says yes to, keeping the others in order; returns those removed. */
  removeWhere(take: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    for (const item of this) (take(item) ? removed : kept).push(item);
    if (removed.length > 0) {
      this.items = kept;
      this.head = 0;
    }
    return removed;
  }

  /** Orders the items (after a restore that added them in any order). */
  sort(compare: (a: T, b: T) => number): void {
    this.items = [...this].sort(compare);
    this.head = 0;
  }

  clear(): void {
    this.items = NONE;
    this.head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}
