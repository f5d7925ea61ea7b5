/**
 * The cluster's keys in Redis, all under one prefix (default `midge:cluster:`).
 * A node's *incarnation* (`nodeId#n`, new at every start) owns sessions, so a
 * node restarted under the same name is a new owner and its previous life is
 * reaped like any dead node.
 */
export class ClusterKeys {
  constructor(readonly prefix: string) {}

  /**
   * The cluster's generation: a random id written once into an empty Redis. Every
   * script checks it, so a node never writes into a Redis that lost its data (or
   * was replaced) without noticing: see recovery.ts.
   */
  get generation(): string {
    return `${this.prefix}generation`;
  }

  /** Exists (and expires) while the nodes rebuild their state into a new generation. */
  get settling(): string {
    return `${this.prefix}settling`;
  }

  /** Counter numbering incarnations. */
  get incarnations(): string {
    return `${this.prefix}incarnation`;
  }

  /** Set of the incarnations that joined and were not yet reaped. */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Set of the client ids that have an owner record. */
  get clients(): string {
    return `${this.prefix}clients`;
  }

  /** Pub/sub channel: `writer \0 clientId` for every owner record that changed. */
  get events(): string {
    return `${this.prefix}events`;
  }

  /** Pub/sub channel: `clientId \0 token` when a previous owner handed a session over. */
  get handed(): string {
    return `${this.prefix}handed`;
  }

  /** Set (for a minute) when the previous owner handed the session claimed with `token` over. */
  handedOver(clientId: string, token: string): string {
    return `${this.prefix}handed:${clientId}\0${token}`;
  }

  /** Heartbeat: exists while the incarnation is alive (expires after the heartbeat TTL). */
  alive(incarnation: string): string {
    return `${this.prefix}alive:${incarnation}`;
  }

  /** Set when the incarnation was declared dead: it may never write again. */
  sealed(incarnation: string): string {
    return `${this.prefix}sealed:${incarnation}`;
  }

  /** Lock taken by the one survivor that reaps a dead incarnation. */
  reap(incarnation: string): string {
    return `${this.prefix}reap:${incarnation}`;
  }

  /** The incarnation's inbox stream: messages and hand-over requests for it. */
  inbox(incarnation: string): string {
    return `${this.prefix}inbox:${incarnation}`;
  }

  /** Set of the client ids the incarnation owns. */
  owned(incarnation: string): string {
    return `${this.prefix}owned:${incarnation}`;
  }

  /**
   * A client's owner record (hash): `o` owner incarnation, `e` epoch, `f` fencing
   * token `o/e`, `h` the previous owner's token during a hand-over, `v` version,
   * `on` connected, `d` persistent, `w`/`wi`/`wt` the pending will, its holder and
   * when the connection was lost, `u` the user the session belongs to (`-` anonymous,
   * `=name` a user), `s:<filter>` each subscription.
   */
  client(clientId: string): string {
    return `${this.prefix}c:${clientId}`;
  }
}

/** The consumer group of every inbox. */
export const INBOX_GROUP = 'g';
