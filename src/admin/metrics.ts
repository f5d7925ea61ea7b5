import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Broker } from '../broker/index.js';
import { queueDepths } from './broker-view.js';
import type { BridgeStatus } from '../broker/index.js';
import type { ResolvedAdminOptions } from './options.js';

/** Values of a metric at scrape time: one number, or one per label set. */
type Reading = number | Array<[Record<string, string>, number]>;

const QOS_LABELS = ['0', '1', '2'];

function byQos(values: readonly number[]): Array<[Record<string, string>, number]> {
  return QOS_LABELS.map((qos, i) => [{ qos }, values[i] ?? 0]);
}

/** The Prometheus registry of one admin listener, and what it must release when closed. */
export interface BrokerMetrics {
  readonly registry: Registry;
  close(): void;
}

/**
 * Prometheus metrics over the broker's own counters. Nothing is counted per
 * message here: every metric reads the core's plain counters when it is scraped
 * (`collect`), so metrics cost the hot path nothing. A registry of its own (not
 * prom-client's global one) lets several brokers live in one process.
 */
export function brokerMetrics(broker: Broker, options: ResolvedAdminOptions): BrokerMetrics {
  const registry = new Registry();
  const s = broker.stats;
  const counter = (name: string, help: string, read: () => Reading, labelNames: string[] = []): void => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        const value = read();
        if (typeof value === 'number') this.inc(value);
        else for (const [labels, n] of value) this.inc(labels, n);
      },
    });
  };
  const gauge = (name: string, help: string, read: () => Reading, labelNames: string[] = []): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        const value = read();
        if (typeof value === 'number') this.set(value);
        else for (const [labels, n] of value) this.set(labels, n);
      },
    });
  };

  gauge('midge_build_info', 'Always 1; the version is in the label.', () => [[{ version: options.version }, 1]], ['version']);
  gauge('midge_uptime_seconds', 'Seconds since the broker started.', () => (Date.now() - s.startedAt) / 1000);
  gauge('midge_ready', '1 when the broker is ready for traffic (see /readyz).', () => (broker.readiness.ready ? 1 : 0));
  gauge('midge_clients_connected', 'Clients connected now.', () => s.connectedClients);
  gauge('midge_clients_maximum', 'Most clients connected at once since start.', () => s.maximumClients);
  gauge('midge_sessions', 'Sessions held, connected or not.', () => broker.sessions.size);
  gauge('midge_connections_open', 'Network connections open, CONNECT completed or not.', () => broker.connectionCount);
  counter('midge_connections_total', 'CONNECTs accepted.', () => s.totalConnections);
  counter('midge_sockets_opened_total', 'Network connections accepted.', () => s.socketsOpened);
  counter('midge_sessions_expired_total', 'Sessions ended by expiry.', () => s.expiredSessions);
  counter('midge_packets_received_total', 'MQTT packets received, every type.', () => s.messagesReceived);
  counter('midge_packets_sent_total', 'MQTT packets sent, every type.', () => s.messagesSent);
  counter('midge_bytes_received_total', 'Bytes received on MQTT connections.', () => s.bytesReceived);
  counter('midge_bytes_sent_total', 'Bytes sent on MQTT connections.', () => s.bytesSent);
  counter('midge_publish_received_total', 'PUBLISH packets received, by QoS.', () => byQos(s.publishReceivedByQos), ['qos']);
  counter('midge_publish_sent_total', 'PUBLISH packets sent, by QoS.', () => byQos(s.publishSentByQos), ['qos']);
  counter('midge_publish_received_bytes_total', 'Payload bytes received in PUBLISH, by QoS.', () => byQos(s.publishBytesReceivedByQos), ['qos']);
  counter('midge_publish_sent_bytes_total', 'Payload bytes sent in PUBLISH, by QoS.', () => byQos(s.publishBytesSentByQos), ['qos']);
  counter('midge_publish_dropped_total', 'Deliveries dropped, by reason.', () => [...s.droppedByReason].map(([reason, n]) => [{ reason }, n]), ['reason']);
  counter('midge_connections_failed_total', 'Connections that failed before CONNECT completed (TLS handshake, not MQTT, timeout...), by kind.',
    () => [...s.failedConnectionsByKind].map(([kind, n]) => [{ kind }, n]), ['kind']);
  counter('midge_logins_refused_total', 'CONNECTs refused unchecked because their source failed too many logins lately.', () => broker.access.loginBackoff.refused);
  counter('midge_clients_revoked_total', 'Connected clients disconnected because a reload took their access away.', () => s.revokedClients);
  counter('midge_confidential_withheld_total', 'Confidential deliveries kept from links that are not encrypted.', () => s.withheldConfidential);
  gauge('midge_subscriptions', 'Subscriptions held.', () => broker.router.size);
  gauge('midge_retained_messages', 'Retained messages held, the broker\'s own $SYS figures not counted.', () => broker.retained.sizeWithoutSys);
  gauge('midge_queued_messages', 'QoS 1/2 deliveries waiting in session queues.', () => queueDepths(broker).queued);
  gauge('midge_inflight_messages', 'QoS 1/2 deliveries sent and not yet acknowledged.', () => queueDepths(broker).inflight);
  gauge('midge_session_queue_depth_max', 'The deepest session queue.', () => queueDepths(broker).deepest);
  const flow = () => broker.flow.stats();
  gauge('midge_queued_bytes', 'Bytes queued in every session, payload plus entry overhead (bounded by max_queued_bytes_total).', () => flow().queuedBytesTotal);
  gauge('midge_publishers_paused', 'Publishers paused now while a subscriber they publish to catches up.', () => flow().publishersPaused);
  counter('midge_publisher_pauses_total', 'Times a publisher was paused for a subscriber that lags.', () => flow().publisherPauses);
  counter('midge_publisher_paused_seconds_total', 'Seconds publishers spent paused, added up.', () => flow().publisherPausedMs / 1000);
  gauge('midge_slow_consumers', 'Clients that drained nothing for slow_consumer_timeout while backlogged.', () => flow().slowConsumers);
  counter('midge_slow_consumer_events_total', 'Times a client became a slow consumer.', () => flow().slowConsumerEvents);
  counter('midge_slow_consumers_disconnected_total', 'Slow consumers disconnected (slow_consumer_disconnect).', () => flow().slowConsumersDisconnected);
  gauge('midge_process_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed);
  gauge('midge_process_resident_memory_bytes', 'Resident set size.', () => process.memoryUsage.rss());
  if (options.storeMetrics) addStoreMetrics(registry, options.storeMetrics);
  if (broker.store?.health) {
    const health = () => broker.store?.health;
    gauge('midge_store_writable', '1 while the store commits; 0 while its writes fail and are retried (acknowledgements wait).',
      () => (health()?.writable === false ? 0 : 1));
    gauge('midge_store_failing_seconds', 'Seconds the store has been failing to write; 0 while it writes.', () => {
      const since = health()?.failingSince;
      return since === undefined ? 0 : (Date.now() - since) / 1000;
    });
    counter('midge_store_write_failures_total', 'Failed store write attempts (each retried).', () => health()?.failedWrites ?? 0);
    counter('midge_store_recoveries_total', 'Times the store came back after its writes had failed.', () => health()?.recoveries ?? 0);
  }
  if (options.bridges) addBridgeMetrics(counter, gauge, options.bridges);
  const lag = addEventLoopLag(registry);
  return { registry, close: () => lag.disable() };
}

type Define = (name: string, help: string, read: () => Reading, labelNames: string[]) => void;

/** Per-bridge figures, labelled by the bridge's name, read from the bridges at scrape time. */
function addBridgeMetrics(counter: Define, gauge: Define, read: NonNullable<ResolvedAdminOptions['bridges']>): void {
  const per = (pick: (b: BridgeStatus) => number) => () => read().map((b): [Record<string, string>, number] => [{ bridge: b.name }, pick(b)]);
  const labels = ['bridge'];
  gauge('midge_bridge_connected', '1 while the bridge is connected to its remote broker.', per((b) => (b.state === 'connected' ? 1 : 0)), labels);
  gauge('midge_bridge_queued_messages', 'Messages waiting for the remote broker in the bridge\'s local session.', per((b) => b.queued), labels);
  gauge('midge_bridge_inflight_messages', 'Messages sent to the remote broker and not yet acknowledged.', per((b) => b.inflight), labels);
  counter('midge_bridge_messages_sent_total', 'Messages the bridge published to the remote broker.', per((b) => b.messagesSent), labels);
  counter('midge_bridge_messages_received_total', 'Messages the bridge brought in from the remote broker.', per((b) => b.messagesReceived), labels);
  counter('midge_bridge_messages_dropped_total', 'Messages refused by the remote broker or too large to send.', per((b) => b.messagesDropped), labels);
  counter('midge_bridge_connects_total', 'Connections the remote broker accepted.', per((b) => b.connects), labels);
  counter('midge_bridge_connect_failures_total', 'Connection attempts refused by the remote broker or failed on the network.', per((b) => b.connectFailures), labels);
}

/** Store commit latency, from the figures the store keeps (when it keeps them). */
function addStoreMetrics(registry: Registry, read: NonNullable<ResolvedAdminOptions['storeMetrics']>): void {
  new Counter({
    name: 'midge_store_commits_total', help: 'Group commits written by the store.', registers: [registry],
    collect() {
      this.reset();
      this.inc(read()?.commits ?? 0);
    },
  });
  new Counter({
    name: 'midge_store_commit_seconds_total', help: 'Time spent in store commits; divide by midge_store_commits_total for the mean.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc((read()?.totalMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'midge_store_commit_seconds_max', help: 'Longest store commit since start.', registers: [registry],
    collect() {
      this.set((read()?.maxMs ?? 0) / 1000);
    },
  });
}

/**
 * Event-loop delay over the time since the last scrape (then reset): the figure
 * that tells a broker stalled by CPU work from a quiet one.
 */
function addEventLoopLag(registry: Registry): { disable(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  new Gauge({
    name: 'midge_event_loop_lag_seconds', help: 'Event-loop delay since the last scrape, by quantile.',
    labelNames: ['quantile'], registers: [registry],
    collect() {
      const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      this.set({ quantile: '0.5' }, seconds(histogram.percentile(50)));
      this.set({ quantile: '0.99' }, seconds(histogram.percentile(99)));
      this.set({ quantile: '1' }, seconds(histogram.max));
      histogram.reset();
    },
  });
  return histogram;
}
