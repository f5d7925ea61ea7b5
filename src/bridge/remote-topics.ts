import { connect as netConnect } from 'node:net';
import type { MqttClient } from '../client/index.js';
import type { Logger } from '../broker/index.js';
import { reasonCodeName } from '../protocol/index.js';
import type { BridgeConfig } from './options.js';
import type { AddressRotation } from './schedule.js';
import type { TopicMap } from './topic-map.js';

/**
 * At every connection, as mosquitto does: unsubscribe on the remote from the `out`-only
 * topics (`bridge_attempt_unsubscribe`: a line turned from `in` to `out` stops bringing
 * messages in) and subscribe to the `in` topics. Over MQTT 5 the subscriptions ask for No
 * Local (what the bridge publishes does not come back) and Retain As Published; over 3.1.1
 * the bridge bit asks a mosquitto or midge remote for the same. Refusals are logged.
 */
export function subscribeRemote(client: MqttClient, config: BridgeConfig, topics: TopicMap, logger: Logger): void {
  const v5 = config.protocolVersion === 5;
  const unsubscribe = config.attemptUnsubscribe ? topics.outOnlyRemoteFilters : [];
  if (unsubscribe.length > 0) client.unsubscribe(unsubscribe).catch(() => undefined);
  const subscriptions = topics.remoteSubscriptions;
  if (subscriptions.length === 0) return;
  const requests = subscriptions.map(({ filter, qos }) => ({ topicFilter: filter, qos, ...(v5 ? { noLocal: true, retainAsPublished: true } : {}) }));
  client.subscribe(requests).then((codes) => {
    codes.forEach((code, i) => {
      if (code >= 0x80) logger.warn({ bridge: config.name, filter: requests[i]!.topicFilter, reasonCode: code, reason: reasonCodeName(code) }, 'remote broker refused a bridge subscription');
    });
  }, (err: unknown) => {
    logger.warn({ bridge: config.name, filters: requests.map((r) => r.topicFilter), reason: err instanceof Error ? err.message : String(err) }, 'remote broker refused the bridge subscriptions');
  });
}

/** At most this long between checks of the main address (mosquitto checks every 5 s). */
const PRIMARY_CHECK_MAX_MS = 5000;

/**
 * Without `round_robin`, while connected to a secondary address: checks whether the main
 * address accepts TCP connections again (every `restart_timeout`, or its backoff base, and
 * at least every 5 s), and if so asks the bridge to go back to it.
 */
export class PrimaryWatch {
  /** The bridge is closing its connection to go back to the main address. */
  switching = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly rotation: AddressRotation, private readonly config: BridgeConfig, private readonly back: () => void) {}

  start(): void {
    this.stop();
    if (this.rotation.primaryToCheck === undefined) return;
    const restart = this.config.restart;
    const seconds = restart.kind === 'constant' ? restart.seconds : restart.baseSeconds;
    this.timer = setInterval(() => this.check(), Math.min(PRIMARY_CHECK_MAX_MS, seconds * 1000));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const primary = this.rotation.primaryToCheck;
    if (primary === undefined) return this.stop();
    const url = new URL(primary);
    const defaultPort = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 }[url.protocol] ?? 1883;
    const socket = netConnect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) || defaultPort, localAddress: this.config.bindAddress });
    socket.setTimeout(PRIMARY_CHECK_MAX_MS);
    socket.once('connect', () => {
      socket.destroy();
      if (this.timer) {
        this.stop();
        this.back();
      }
    });
    socket.once('error', () => socket.destroy());
    socket.once('timeout', () => socket.destroy());
  }
}
