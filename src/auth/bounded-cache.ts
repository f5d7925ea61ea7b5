/**
 * A map with a fixed capacity that forgets its least recently used entry when full.
 * Used wherever a cache is keyed by something a client controls (user names, topics,
 * client ids), so that no client can grow the broker's memory without bound.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  /**
   * @param capacity - the most entries kept (at least 1)
   * @param onEvict - called for an entry dropped to make room (not for delete or clear)
   */
  constructor(readonly capacity: number, onEvict?: (key: K, value: V) => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
    this.#onEvict = onEvict;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value for the key, marking it recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: moving the key to the end makes the first key the least recently used.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Stores the value, evicting the least recently used entry when over capacity. */
  set(key: K, value: V): void {
    if (this.#entries.has(key)) this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) {
        const evicted = this.#entries.get(oldest.value) as V;
        this.#entries.delete(oldest.value);
        this.#onEvict?.(oldest.value, evicted);
      }
    }
  }

  /** Forgets one entry. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** The values held, least recently used first. */
  values(): IterableIterator<V> {
    return this.#entries.values();
  }

  /** Forgets every entry (without calling onEvict). */
  clear(): void {
    this.#entries.clear();
  }
}
