import type { ProtocolVersion, QoS, RetainHandling } from '../../protocol/index.js';
import type { ForwardedProperties } from '../message.js';

/** A message as stores keep it: once, however many queues refer to it. */
export interface StoredMessage {
  id: number;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: ForwardedProperties | undefined;
  createdAt: number;
  expiresAt: number | undefined;
  origin: string | undefined;
  /** Must only be delivered over encrypted links (see BrokerMessage.confidential). */
  confidential?: boolean;
}

/** A Will Message waiting for its session to end or its delay to pass. */
export interface StoredWill {
  message: StoredMessage;
  /** Seconds after the connection is lost before the will is published (v5 Will Delay Interval). */
  delayInterval: number;
  /** v5 Message Expiry Interval of the will, counted from when it is published. */
  expiryInterval: number | undefined;
}

/** A persistent session's own record. */
export interface StoredSession {
  clientId: string;
  protocolVersion: ProtocolVersion;
  /** Seconds the session outlives its connection; 0xFFFFFFFF: never expires. */
  expiryInterval: number;
  /** Epoch ms when the connection ended; undefined while connected. */
  disconnectedAt: number | undefined;
  /** The will, kept while connected (a crash must still publish it) and while it is delayed. */
  will: StoredWill | undefined;
  /** The user name it connected with, so a restored session keeps its ACL identity. */
  username: string | undefined;
}

/** One subscription of a persistent session. */
export interface StoredSubscription {
  clientId: string;
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: RetainHandling;
  subscriptionId: number | undefined;
}

/**
 * One outgoing QoS 1/2 delivery to a persistent session, from queued to acknowledged.
 * `seq` orders deliveries within a session [MQTT-4.6.0-6].
 */
export interface StoredDelivery {
  clientId: string;
  seq: number;
  messageId: number;
  qos: 1 | 2;
  /** RETAIN flag to send (retained-on-subscribe, or Retain As Published). */
  retain: boolean;
  subscriptionIds: number[] | undefined;
  /** Assigned once sent. */
  packetId: number | undefined;
  /** queued: not sent yet; sent: PUBLISH sent, awaiting PUBACK/PUBREC; released: PUBREL sent, awaiting PUBCOMP. */
  state: 'queued' | 'sent' | 'released';
}

/** An inbound QoS 2 packet id received and not yet released by PUBREL [MQTT-4.3.3-10]. */
export interface StoredInbound {
  clientId: string;
  packetId: number;
}

/** Everything a store holds, read once at start-up. */
export interface RestoredState {
  sessions: StoredSession[];
  subscriptions: StoredSubscription[];
  /** Messages referred to by deliveries (retained ones come with `retained`). */
  messages: StoredMessage[];
  deliveries: StoredDelivery[];
  inbound: StoredInbound[];
  retained: StoredMessage[];
  /**
   * Sessions whose queued deliveries the store kept rather than returned in
   * `deliveries` (a store with {@link Store.paging}): read back with
   * {@link QueuePaging.readQueued} as the client drains.
   */
  paged?: PagedQueue[];
}

/** How {@link Store.restore} hands over what it reads. */
export interface RestoreOptions {
  /**
   * Takes each retained message as it is read, so that a store of many retained
   * messages is not held twice (once read, once in the broker's tree). A store that
   * calls it returns `retained` empty; one that does not returns them as before, so
   * the caller takes both. Each message has passed the store's checks; the store
   * may still reject `restore()` after some were handed over (damage found later):
   * the caller then discards them with the rest.
   */
  onRetained?: (message: StoredMessage) => void;
}

/** The queued deliveries of one session that stay in the store until its client reads them. */
export interface PagedQueue {
  clientId: string;
  /** Queued deliveries left in the store. */
  count: number;
  /** Their payload bytes (what `max_queued_bytes` counts). */
  bytes: number;
  /** Highest `seq` of the session's deliveries: new ones are numbered after it. */
  lastSeq: number;
  /** Lowest `seq` of the queued ones left in the store, minus one: where reading starts. */
  afterSeq: number;
}

/** Queued deliveries read back from the store, oldest first, each message once. */
export interface PagedDeliveries {
  deliveries: StoredDelivery[];
  messages: StoredMessage[];
}

/** What else a page read says: rows left out, and how far it got. */
export interface PageOutcome {
  /** One line per row that failed its checks and was left out. */
  damaged: string[];
  /** Queued deliveries left out: their rows, or their messages' rows, failed their checks. */
  skipped: number;
  /** `seq` of the last row looked at, damaged ones included; undefined when there was none. */
  lastSeq: number | undefined;
}

/**
 * A store that keeps sessions' queues on disk and hands them back a page at a
 * time, so that queued deliveries need no memory until their client reads them.
 */
export interface QueuePaging {
  /**
   * Up to `limit` queued deliveries of `clientId` with `seq` above `afterSeq`, in
   * `seq` order, with their messages: what is committed (commit first). A damaged
   * row is left out and reported in `damaged`.
   */
  readQueued(clientId: string, afterSeq: number, limit: number): Promise<PagedDeliveries & PageOutcome>;
  /** Records staged and not yet written: the broker holds publishers while this is large. */
  readonly stagedRecords: number;
  /**
   * Starts writing what is staged now rather than at the end of the turn, unless a
   * commit is in flight (between two publishes, so each publish's deliveries stay
   * in one commit): a fan-out does not pile a whole socket read of messages up in memory.
   */
  writeStaged(): void;
}

/** How a store's writes are going: for readiness, logs, `$SYS` and metrics. */
export interface StoreHealth {
  /**
   * False while writes fail and are retried (disk full, I/O errors): nothing that
   * needs the store is acknowledged meanwhile, and nothing staged is dropped.
   */
  writable: boolean;
  /** One line naming the file and the cause of the failure (the last one, once writable again). */
  problem: string | undefined;
  /** Epoch ms of the first failure of the current outage; undefined while writable. */
  failingSince: number | undefined;
  /** Failed write attempts since the store was opened. */
  failedWrites: number;
  /** Outages the store has come back from since it was opened. */
  recoveries: number;
}

/**
 * The persistence port. The broker writes deltas as they happen (synchronous calls
 * that only buffer) and reads everything back once with {@link Store.restore} at
 * boot. {@link Store.commit} makes all buffered deltas durable in one group commit;
 * the broker sends PUBACK/PUBREC for a message only after the commit that holds
 * its deliveries. Clean sessions and QoS 0 never reach the store.
 */
export interface Store {
  /** Backend name for logs (`memory`, `sqlite`, `redis`). */
  readonly name: string;
  /** Opens the backend; rejects with a clear message on a corrupt or unreadable store. */
  open(): Promise<void>;
  /**
   * Reads everything, once, after {@link Store.open} and before any write; rejects
   * rather than return less than the store holds. Only messages some delivery
   * refers to come back (retained ones come with `retained`).
   */
  restore(options?: RestoreOptions): Promise<RestoredState>;
  saveSession(session: StoredSession): void;
  /** Deletes a session with its subscriptions, deliveries, inbound ids and the messages only its deliveries referred to. */
  deleteSession(clientId: string): void;
  saveSubscription(subscription: StoredSubscription): void;
  deleteSubscription(clientId: string, filter: string): void;
  /**
   * Offers a message for the delivery saved next. Idempotent by id: a store keeps
   * each message once, while at least one stored delivery refers to it, and
   * deletes it with the last one; a message no delivery refers to is not kept.
   */
  saveMessage(message: StoredMessage): void;
  /** Insert or update by (clientId, seq). */
  saveDelivery(delivery: StoredDelivery): void;
  deleteDelivery(clientId: string, seq: number): void;
  saveInbound(inbound: StoredInbound): void;
  deleteInbound(clientId: string, packetId: number): void;
  /** Stores the retained message of a topic; undefined clears it. */
  setRetained(topic: string, message: StoredMessage | undefined): void;
  /**
   * True from a write until the commit holding it has resolved (and for good once
   * a commit failed): while it is false, everything written is durable.
   */
  readonly pending: boolean;
  /**
   * Resolves when every delta written so far is durable. Commits resolve in the
   * order they were asked for. A store that retries failed writes keeps them
   * pending until a retry succeeds (see {@link Store.health}); one that does not,
   * or one being closed, rejects from its first failure on.
   */
  commit(): Promise<void>;
  close(): Promise<void>;
  /** How writes are going; stores that cannot fail (or do not tell) leave it out. */
  readonly health?: StoreHealth;
  /** Calls `listener` whenever {@link StoreHealth.writable} changes; returns the disposer. */
  onHealthChange?(listener: (health: StoreHealth) => void): () => void;
  /**
   * Present when the store pages queues: queued deliveries of persistent sessions
   * need not stay in memory, and `restore` returns them as {@link RestoredState.paged}.
   */
  readonly paging?: QueuePaging;
  /** Things found at {@link Store.open} that an operator should hear about (logged as warnings). */
  readonly notices?: readonly string[];
}
