/**
 * The JSON shapes of the admin REST API (`/api/v1`). Shared by the server and the
 * dashboard, which imports them as types only, so this module imports nothing.
 */

/** `GET /api/v1/stats`. */
export interface StatsSnapshot {
  version: string;
  /** Epoch ms when the snapshot was taken: the dashboard turns counter deltas into rates with it. */
  time: number;
  uptimeSeconds: number;
  ready: boolean;
  notReadyBecause: string[];
  clients: { connected: number; disconnected: number; total: number; maximum: number; expired: number };
  connections: { open: number; accepted: number; socketsOpened: number };
  /** MQTT packets of every type. */
  packets: { received: number; sent: number };
  publish: {
    received: number; sent: number; dropped: number;
    receivedByQos: number[]; sentByQos: number[];
    bytesReceivedByQos: number[]; bytesSentByQos: number[];
    droppedByReason: Record<string, number>;
  };
  bytes: { received: number; sent: number };
  subscriptions: number;
  /** Retained messages outside `$SYS`: what `GET /api/v1/retained` lists, `midge_retained_messages` counts. */
  retained: number;
  /** Deliveries waiting in session queues, and sent but not yet acknowledged. */
  queued: number;
  inflight: number;
  withheldConfidential: number;
  /** Flow control: publishers paused for subscribers that lag, and slow consumers. */
  flow: {
    /** Publishers paused now, pauses since start, and ms spent paused, added up. */
    publishersPaused: number; publisherPauses: number; publisherPausedMs: number;
    /** Slow consumers now, times a client became one, and those disconnected for it. */
    slowConsumers: number; slowConsumerEvents: number; slowConsumersDisconnected: number;
    /** Bytes queued in every session (payload plus entry overhead): what `max_queued_bytes_total` bounds. */
    queuedBytes: number;
  };
}

/** A page of a list. */
export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

/** A session as the clients API lists it; `null` where a disconnected client has no value. */
export interface ClientSummary {
  clientId: string;
  connected: boolean;
  username: string | null;
  protocolVersion: number;
  listener: string | null;
  transport: string | null;
  remoteAddress: string | null;
  remotePort: number | null;
  /** Seconds; null when disconnected. */
  keepAlive: number | null;
  /** ISO time the network connection opened; null when disconnected or not known. */
  connectedAt: string | null;
  disconnectedAt: string | null;
  /** Seconds the session outlives its connection. */
  expiryInterval: number;
  subscriptions: number;
  queued: number;
  /** Payload bytes queued. */
  queuedBytes: number;
  inflight: number;
  /** A slow consumer: it drained nothing for `slow_consumer_timeout` while backlogged. */
  slow: boolean;
  /** Deliveries dropped for this client since its session began, in all and by reason. */
  dropped: number;
  droppedByReason: Record<string, number>;
}

/** A payload as JSON carries it. */
export interface PayloadView {
  /** UTF-8 text, or base64 when the payload is not text. */
  payload: string;
  encoding: 'utf8' | 'base64';
  /** Size of the whole payload in bytes. */
  size: number;
  /** Only the start of the payload is here. */
  truncated: boolean;
  /** Confidential, and this admin listener is not HTTPS: `payload` is empty, only the size is told. */
  withheld?: true;
}

/** One topic of `GET /api/v1/topics`. */
export interface TopicView extends PayloadView {
  topic: string;
  /** Messages published to it since the broker started (or since the tree forgot it). */
  messages: number;
  qos: number;
  /** RETAIN flag of the last message. */
  retainFlag: boolean;
  /** The broker holds a retained message for the topic now. */
  retained: boolean;
  updatedAt: string;
}

/** `GET /api/v1/topics?since=<version>`. */
export interface TopicChangesView {
  version: number;
  /** `topics` is the whole tree: forget what you had. */
  full: boolean;
  topics: TopicView[];
  removed: string[];
}

/** One retained message of `GET /api/v1/retained`. */
export interface RetainedView extends PayloadView {
  topic: string;
  qos: number;
  createdAt: string;
  expiresAt: string | null;
}

/** `GET /api/v1/listeners` items. */
export interface ListenerView {
  name: string;
  protocol: string;
  host: string;
  port: number;
  /** Clients connected through it now (null for the admin listener, which has none). */
  clients: number | null;
}

/** The figures of `GET /api/v1/history`: rates per second, the rest as read. */
export type HistorySeriesName =
  | 'publishIn' | 'publishOut' | 'bytesIn' | 'bytesOut' | 'dropped' | 'connects'
  | 'connected' | 'sessions' | 'subscriptions' | 'retained' | 'queued' | 'inflight' | 'heapUsed';

/** `GET /api/v1/history?since=<epoch ms>`: the samples taken after `since`, oldest first, as columns. */
export interface HistoryView {
  /** Time between samples, ms (10 s unless configured otherwise). */
  intervalMs: number;
  /** Samples the server keeps at most. */
  capacity: number;
  /** Epoch ms of each sample. */
  time: number[];
  series: Record<HistorySeriesName, number[]>;
}

/** One subscription of `GET /api/v1/subscriptions` and `GET /api/v1/clients/{id}/subscriptions`. */
export interface SubscriptionView {
  filter: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionId: number | null;
  shareGroup: string | null;
}

/** One subscription with its client, in `GET /api/v1/subscriptions`. */
export interface ClientSubscriptionView extends SubscriptionView {
  clientId: string;
  connected: boolean;
}

/** One node of `GET /api/v1/cluster`. */
export interface ClusterNodeView {
  /** The node's incarnation, `nodeId#n` (new at every start). */
  node: string;
  /** This node, the one answering. */
  self: boolean;
  /** Its heartbeat is current; false: it stopped saying so and waits to be reaped. */
  alive: boolean;
  /** Sessions it owns. */
  sessions: number;
}

/** `GET /api/v1/cluster`: whether the broker is a cluster node, and the nodes it sees. */
export interface ClusterView {
  clustered: boolean;
  /** This node can reach the cluster (a node that cannot refuses QoS 1/2 publishes and CONNECTs). */
  available: boolean;
  nodes: ClusterNodeView[];
  /** Why the node list could not be read, when it could not. */
  error: string | null;
}

/** A message of the live feed (`GET /api/v1/live?filter=`, Server-Sent Events `message`). */
export interface LiveMessageView extends PayloadView {
  topic: string;
  qos: number;
  retain: boolean;
  /** Sent from the retained messages when the feed started, not published since. */
  fromRetained: boolean;
  /** Epoch ms the broker received it. */
  time: number;
}

/** One bridge of `GET /api/v1/bridges` (mosquitto's `connection` blocks). */
export interface BridgeView {
  name: string;
  /** `connected`, `connecting`, `waiting` (to try again), `idle` (lazy, or `once` gave up), `standby` (another node runs it), `stopped`. */
  state: string;
  /** The remote URL connected to, or last tried. */
  address: string | null;
  remoteClientId: string;
  localClientId: string;
  /** ISO time of the last state change. */
  since: string;
  /** Messages waiting for the remote (the local session's queue) and sent but not yet acknowledged. */
  queued: number;
  inflight: number;
  messagesSent: number;
  messagesReceived: number;
  /** Refused by the remote or too large to send. */
  messagesDropped: number;
  connects: number;
  connectFailures: number;
  /** Why the last attempt failed or the last connection ended. */
  lastError: string | null;
}

/** `GET /api/v1/whoami`. */
export interface IdentityView {
  kind: 'user' | 'token';
  name: string;
}

/** Every error answer. */
export interface ErrorView {
  error: string;
}
