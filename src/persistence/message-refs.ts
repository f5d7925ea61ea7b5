/**
 * Which stored delivery refers to which stored message, so that a message is
 * kept once however many queues hold it and deleted with the last delivery that
 * refers to it. Kept in memory beside the backend: it is rebuilt from the
 * deliveries at restore, and every change to it happens when a delta is staged,
 * so it always describes the store as it will be once the staged batch commits.
 */
export class MessageRefs {
  /** clientId -> seq -> messageId */
  private readonly byClient = new Map<string, Map<number, number>>();
  private readonly counts = new Map<number, number>();

  /** True while some delivery refers to the message. */
  has(messageId: number): boolean {
    return this.counts.has(messageId);
  }

  /** Number of messages referred to. */
  get size(): number {
    return this.counts.size;
  }

  /**
   * Records that delivery (clientId, seq) refers to a message. Returns the id of
   * a message the delivery referred to before and that nothing refers to now.
   */
  add(clientId: string, seq: number, messageId: number): number | undefined {
    let seqs = this.byClient.get(clientId);
    if (!seqs) {
      seqs = new Map();
      this.byClient.set(clientId, seqs);
    }
    const before = seqs.get(seq);
    if (before === messageId) return undefined;
    seqs.set(seq, messageId);
    this.counts.set(messageId, (this.counts.get(messageId) ?? 0) + 1);
    return before === undefined ? undefined : this.release(before);
  }

  /** Forgets delivery (clientId, seq); returns its message id when nothing refers to it any more. */
  remove(clientId: string, seq: number): number | undefined {
    const seqs = this.byClient.get(clientId);
    const messageId = seqs?.get(seq);
    if (messageId === undefined) return undefined;
    seqs!.delete(seq);
    if (seqs!.size === 0) this.byClient.delete(clientId);
    return this.release(messageId);
  }

  /** Forgets every delivery of a client; returns the message ids nothing refers to any more. */
  removeClient(clientId: string): number[] {
    const seqs = this.byClient.get(clientId);
    if (!seqs) return [];
    this.byClient.delete(clientId);
    const freed: number[] = [];
    for (const messageId of seqs.values()) {
      const id = this.release(messageId);
      if (id !== undefined) freed.push(id);
    }
    return freed;
  }

  clear(): void {
    this.byClient.clear();
    this.counts.clear();
  }

  private release(messageId: number): number | undefined {
    const n = (this.counts.get(messageId) ?? 1) - 1;
    if (n > 0) {
      this.counts.set(messageId, n);
      return undefined;
    }
    this.counts.delete(messageId);
    return messageId;
  }
}
