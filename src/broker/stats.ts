/** Counters the broker keeps for $SYS, metrics and the admin API. Plain numbers: cheap on the hot path. */
export class BrokerStats {
  readonly startedAt = Date.now();
  connectedClients = 0;
  maximumClients = 0;
  totalConnections = 0;
  expiredSessions = 0;
  messagesReceived = 0;
  messagesSent = 0;
  publishReceived = 0;
  publishSent = 0;
  publishDropped = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** Received PUBLISH by QoS. */
  readonly publishReceivedByQos = [0, 0, 0];
  /** Sent PUBLISH by QoS. */
  readonly publishSentByQos = [0, 0, 0];
  /** Payload bytes of received PUBLISH by QoS (mosquitto's `publish/bytes/received`). */
  readonly publishBytesReceivedByQos = [0, 0, 0];
  /** Payload bytes of sent PUBLISH by QoS (mosquitto's `publish/bytes/sent`). */
  readonly publishBytesSentByQos = [0, 0, 0];
  /** Network connections accepted, whether or not they completed CONNECT (mosquitto's socket count). */
  socketsOpened = 0;
  /** Connected clients disconnected because a reload took their access away. */
  revokedClients = 0;
  /** Deliveries of confidential messages kept from links that are not encrypted. */
  withheldConfidential = 0;
  /** Connections that failed before CONNECT completed (TLS, not MQTT, timeout...). */
  connectionsFailed = 0;
  /** The same, by kind (`tls`, `protocol`, `timeout`, `websocket`, `socket`). */
  readonly failedConnectionsByKind = new Map<string, number>();
  /** Dropped deliveries by reason. */
  readonly droppedByReason = new Map<string, number>();

  countDrop(reason: string): void {
    this.publishDropped++;
    this.droppedByReason.set(reason, (this.droppedByReason.get(reason) ?? 0) + 1);
  }

  countFailedConnection(kind: string): void {
    this.connectionsFailed++;
    this.failedConnectionsByKind.set(kind, (this.failedConnectionsByKind.get(kind) ?? 0) + 1);
  }

  clientConnected(): void {
    this.connectedClients++;
    this.totalConnections++;
    if (this.connectedClients > this.maximumClients) this.maximumClients = this.connectedClients;
  }
}
