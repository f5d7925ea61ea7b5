import type { BrokerMessage } from '../message.js';
import type { RestoredState, StoredWill } from './store.js';

/**
 * The cluster port: what the broker core asks of the other nodes of a cluster.
 * The core owns it and knows nothing of how it is carried (the Redis adapter in
 * `src/cluster/` implements it); a broker without one runs alone, exactly as
 * before.
 *
 * The other direction, the cluster calling into the core, goes through the
 * broker's own methods: `Broker.deliverFromCluster` for a message another
 * node routed here, `broker.sessions.handOver()` when a client reconnects
 * elsewhere, `broker.sessions.adopt()` for the sessions of a dead node, and
 * stand-ins for remote sessions in `broker.router` (see `Recipient`), so that the
 * node a message is published on decides, once, who gets it.
 */
export interface ClusterBus<Host = unknown> {
  /**
   * False while this node cannot reach the cluster. Meanwhile QoS 1/2 publishes
   * are refused rather than acknowledged, and CONNECTs are refused: nothing is
   * promised that the node cannot keep.
   */
  readonly available: boolean;
  /**
   * Joins the cluster: called by `Broker.start` once the store is open and before
   * any listener is bound, with the broker itself as `host` (the adapter declares it as
   * `Broker`; the port leaves it unnamed so that the core's ports do not depend on the
   * broker class). Loads the retained messages and the subscriptions of the other
   * nodes' sessions into the broker.
   */
  start(host: Host): Promise<void>;
  /** Leaves the cluster (at shutdown, after the store's last commit). */
  stop(): Promise<void>;
  /**
   * A CONNECT for this client id arrived here: makes this node the session's only
   * owner cluster-wide (a fencing epoch), asking a previous owner to close its
   * connection and hand the session over first. Then calls `install`, once and
   * synchronously, with what the previous owner left (the adapter swaps its
   * stand-ins for the local session at that instant, so no message falls between
   * them), and resolves. Rejects with {@link ClusterUnavailableError} when the
   * cluster cannot be reached, and with {@link SessionOwnedError}, changing nothing,
   * when `owner` is exclusive and the client id's session belongs to another identity.
   */
  claim(clientId: string, clean: boolean, install: (result: ClaimResult) => void, owner?: ClaimOwner): Promise<void>;
  /**
   * A local session changed in a way other nodes need to know (it connected, went
   * offline, its will or expiry changed), or ended (it is no longer in
   * `broker.sessions`). Cheap: the adapter batches and reads the state it sends.
   */
  sessionChanged(session: ClusterSessionRef): void;
  /** A local session subscribed to or unsubscribed from `filter`. */
  subscriptionChanged(session: ClusterSessionRef, filter: string): void;
  /**
   * What the acknowledgement of a publish has to wait for: undefined when nothing
   * is being routed (answer now), else a promise that resolves once everything
   * routed so far has been handed to the cluster, true when `message` (if given)
   * reached every node it had to, false when it could not be routed.
   * Promises resolve in the order they were asked for.
   */
  settled(message: BrokerMessage | undefined): Promise<boolean> | undefined;
  /** The nodes of the cluster as this node sees them, for operators (the admin API); optional. */
  nodes?(): Promise<ClusterNodeInfo[]>;
  /** Duties one node holds at a time (a bridge runs on exactly one node); absent: every node holds every duty. */
  readonly leases?: ClusterLeases;
}

/**
 * A duty that one node of the cluster holds at a time, e.g. running a bridge. It expires
 * unless renewed, so a node that dies loses it within its time to live and another node
 * takes it; the fencing token grows with every new holder.
 */
export interface ClusterLease {
  readonly name: string;
  /** Greater than the token of every earlier holder of this duty. */
  readonly token: number;
  /** Extends the lease; resolves false when it was lost (expired, or another node holds it now). */
  renew(): Promise<boolean>;
  /** Gives the duty up now, so another node can take it at once. */
  release(): Promise<void>;
}

/** Where a node takes leases (see {@link ClusterLease}). */
export interface ClusterLeases {
  /**
   * Takes the duty `name` for `ttlMs` when no other node holds it; resolves undefined when
   * one does. Rejects when the cluster cannot be reached.
   */
  acquire(name: string, ttlMs: number): Promise<ClusterLease | undefined>;
}

/** One node of a cluster, as {@link ClusterBus.nodes} lists it. */
/**
 * A local session the cluster is told about (a `Session`): the port names it by client
 * id only, so that it does not depend on the session engine; the adapter reads the rest
 * from `broker.sessions`.
 */
export interface ClusterSessionRef {
  readonly clientId: string;
}

export interface ClusterNodeInfo {
  /** The node's incarnation (`nodeId#n`, new at every start). */
  node: string;
  /** The node answering. */
  self: boolean;
  /** Its heartbeat is current; false: it stopped and waits to be reaped by a survivor. */
  alive: boolean;
  /** Sessions it owns. */
  sessions: number;
}

/**
 * Who claims a client id (`session_owner`): the identity the client authenticated as,
 * recorded with the session cluster-wide. `exclusive`: a session of another identity
 * is not taken over (`session_owner user`).
 */
export interface ClaimOwner {
  /** A user name, or the anonymous identity (see `SessionManager.ownerIdentity`). */
  identity: string;
  exclusive: boolean;
}

/** What a claim found: the state to install when the session lived on another node. */
export interface ClaimResult {
  /** The session's records, to install here; undefined when it is here already, or there is none. */
  state: RestoredState | undefined;
  /**
   * The will of the previous connection, when it was on a node that died: this
   * node inherited it and it goes out under the usual rules (now, or cancelled
   * by this connection within its delay).
   */
  will: StoredWill | undefined;
}

/** The cluster cannot be reached: the client is told the server is unavailable. */
export class ClusterUnavailableError extends Error {
  constructor(message = 'the cluster cannot be reached') {
    super(message);
    this.name = 'ClusterUnavailableError';
  }
}

/**
 * The client id's session belongs to another identity (`session_owner user`): the
 * client is refused with 0x85 Client Identifier not valid, and the session, its
 * connection and its owner are left as they were.
 */
export class SessionOwnedError extends Error {
  constructor(message = 'the client id belongs to a session of another user: connect with a client id of your own') {
    super(message);
    this.name = 'SessionOwnedError';
  }
}
