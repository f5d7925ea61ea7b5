import { Broker, SysTopics, type BridgeStatus, type BrokerOptions, type BrokerLimits, type ListenerSecurity } from '../broker/index.js';
import { listenTcp, listenTls, listenWebSocket, type BoundListener, type TlsFiles } from '../transport/index.js';
import { startSnGateway, type SnGatewayOptions } from '../sn/gateway/index.js';
import { commitFiguresOf, startAdmin, type AdminOptions, type AdminServer } from '../admin/index.js';
import { ReasonCode } from '../protocol/index.js';
import { listenFailure } from './listen-errors.js';
import { defaultMaxConnections } from './descriptor-limit.js';
import type { BridgeConfig } from '../bridge/index.js';
import { packageVersion } from './package-version.js';

/** One listener to open. */
export interface ListenerSpec {
  port: number;
  host: string | undefined;
  /** `mqtt` over TCP (TLS when `tls` is set) or `websockets` (wss when `tls` is set). */
  protocol: 'mqtt' | 'websockets';
  name?: string;
  /** Open sockets at most (Infinity: no cap); undefined: a share of the descriptor limit (see `defaultMaxConnections`). */
  maxConnections?: number;
  confidential?: boolean;
  tls?: TlsFiles;
  /** WebSocket listeners: accept upgrades on this path only. */
  websocketsPath?: string;
  security?: ListenerSecurity;
}

/** What a midge server is made of. */
export interface ServerOptions {
  listeners: ListenerSpec[];
  /** MQTT-SN gateways (UDP) to open after the MQTT listeners; each appears in `listeners` as `mqttsn`. */
  snListeners?: Array<Partial<SnGatewayOptions>>;
  broker?: Partial<Omit<BrokerOptions, 'limits'>> & { limits?: Partial<BrokerLimits> };
  /** Seconds between `$SYS` updates (mosquitto's `sys_interval`); 0: no `$SYS` tree. Default 10. */
  sysInterval?: number;
  /** The version reported in `$SYS/broker/version` and the admin API; default the package's. */
  version?: string;
  /** The admin HTTP listener (metrics, health, REST API, dashboard); undefined: none. */
  admin?: AdminOptions;
  /** Bridges to other brokers (mosquitto's `connection` blocks), started once the listeners are bound. */
  bridges?: BridgeConfig[];
}

/** A bound listener as the server keeps it. */
export interface ServerListener extends BoundListener {
  /** Re-reads certificate files (TLS and WSS listeners); no-op otherwise. */
  reloadTls(): void;
}

/** A running midge: the broker core and its bound listeners. */
export interface MidgeServer {
  readonly broker: Broker;
  readonly listeners: readonly ServerListener[];
  /** The admin listener, when one was asked for. */
  readonly admin?: AdminServer;
  /** Opens one more listener (a configuration reload added it). */
  addListener(spec: ListenerSpec): Promise<ServerListener>;
  /** Stops a listener and closes the connections that came through it (v5: DISCONNECT Server shutting down). */
  removeListener(listener: ServerListener, reason: string): Promise<void>;
  /** The bridges to other brokers (none configured: an empty list). */
  readonly bridges: Bridges;
  /** Stops accepting, closes clients (v5: DISCONNECT Server shutting down) and the store. */
  close(): Promise<void>;
}

/** The bridges of a server, as the rest of it needs them. */
export interface Bridges {
  /** Each bridge's state and counters. */
  status(): BridgeStatus[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

const noBridges: Bridges = { status: () => [], start: async () => {}, stop: async () => {} };

/**
 * The bridges' manager, loaded only when bridges are configured (it brings the client
 * library with it, which a broker without bridges need not load at start-up). It reserves
 * the bridges' local client ids at once.
 */
async function loadBridges(broker: Broker, configs: BridgeConfig[] | undefined): Promise<Bridges> {
  if (!configs || configs.length === 0) return noBridges;
  const { BridgeManager } = await import('../bridge/index.js');
  return new BridgeManager(broker, configs, broker.logger);
}

/** The default name of a listener, e.g. `mqtt:1883`, `mqtts:8883`, `ws:8080`. */
export function listenerName(spec: ListenerSpec): string {
  const kind = spec.protocol === 'mqtt' ? (spec.tls ? 'mqtts' : 'mqtt') : (spec.tls ? 'wss' : 'ws');
  return spec.name ?? `${kind}:${spec.port}`;
}

async function openListener(broker: Broker, spec: ListenerSpec, defaultMax: number): Promise<ServerListener> {
  return bindListener(broker, spec, defaultMax).catch((err: unknown) => {
    throw listenFailure(listenerName(spec), spec.host, spec.port, err);
  });
}

async function bindListener(broker: Broker, spec: ListenerSpec, defaultMax: number): Promise<ServerListener> {
  const common = {
    port: spec.port, host: spec.host, name: listenerName(spec), maxConnections: spec.maxConnections ?? defaultMax,
    confidential: spec.confidential ?? false, security: spec.security,
  };
  let bound: ServerListener;
  let named: { name: string };
  if (spec.protocol === 'websockets') {
    const options = { ...common, path: spec.websocketsPath, maxPayload: broker.options.limits.maxPacketSize, tls: spec.tls };
    named = options;
    bound = await listenWebSocket(broker, options);
  } else if (spec.tls) {
    const options = { ...common, tls: spec.tls };
    named = options;
    bound = await listenTls(broker, options);
  } else {
    named = common;
    bound = { ...(await listenTcp(broker, common)), reloadTls() {} };
  }
  // Port 0 asked the system for a port: name the listener after the one it got. The
  // transports read the name per connection, so logs and ACLs see it from the start.
  if (spec.port === 0 && spec.name === undefined) named.name = listenerName({ ...spec, port: bound.port });
  return { ...bound, name: named.name };
}

/** Logs a listener once it is bound: what it speaks and where, as mosquitto's "Opening ... listen socket". */
function announce<L extends { name: string; protocol: string; host: string; port: number }>(broker: Broker, listener: L): L {
  broker.logger.info({ listener: listener.name, protocol: listener.protocol, address: listener.host, port: listener.port }, 'listening');
  return listener;
}

/**
 * Builds and starts a midge server: restores the store, then binds every
 * listener (restore first, so no client sees a half-loaded broker).
 * Embedding applications use this; `midge broker` is a thin CLI over it.
 */
export async function startServer(options: ServerOptions): Promise<MidgeServer> {
  const broker = new Broker(options.broker);
  const version = options.version ?? packageVersion;
  // Unready until the store is restored and every listener bound. The admin listener
  // opens first so that /healthz answers (and /readyz says why not) during a long restore.
  const starting = broker.readiness.hold('starting');
  const listeners: ServerListener[] = [];
  // Bridges' local client ids are reserved before any client can connect.
  const bridges = await loadBridges(broker, options.bridges);
  const adminOptions = options.admin;
  const admin = adminOptions
    ? await startAdmin(broker, {
      version, storeMetrics: () => commitFiguresOf(broker.store), ...adminOptions, listeners: () => listeners, bridges: () => bridges.status(),
    })
      .catch((err: unknown) => {
        const port = adminOptions.port ?? 18083;
        throw listenFailure(`${adminOptions.tls ? 'https' : 'http'}:${port}`, adminOptions.host ?? '127.0.0.1', port, err);
      })
    : undefined;
  await broker.start().catch(async (err: unknown) => {
    await admin?.close();
    throw err;
  });
  if (admin) announce(broker, admin);
  // Listeners added by a reload get the share computed for those configured at start.
  const defaultMax = defaultMaxConnections(options.listeners.length);
  try {
    for (const spec of options.listeners) listeners.push(announce(broker, await openListener(broker, spec, defaultMax)));
    for (const sn of options.snListeners ?? []) {
      const gateway = await startSnGateway(broker, sn).catch((err: unknown) => {
        throw listenFailure(sn.name ?? `mqttsn:${sn.port ?? 1884}`, sn.host, sn.port ?? 1884, err);
      });
      const { name, protocol, port, host } = gateway;
      listeners.push(announce(broker, { name, protocol, port, host, close: () => gateway.close(), reloadTls() {} }));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await admin?.close();
    await bridges.stop();
    await broker.close();
    throw err;
  }
  await bridges.start();
  const sys = new SysTopics(broker, { interval: options.sysInterval ?? 10, version: `midge version ${version}` });
  sys.start();
  starting();
  let closing: Promise<void> | undefined;
  return {
    broker,
    listeners,
    admin,
    async addListener(spec) {
      const listener = announce(broker, await openListener(broker, spec, defaultMax));
      listeners.push(listener);
      return listener;
    },
    async removeListener(listener, reason) {
      const at = listeners.indexOf(listener);
      if (at < 0) return;
      listeners.splice(at, 1);
      broker.closeListenerConnections(listener.name, ReasonCode.ServerShuttingDown, reason);
      await listener.close();
      broker.logger.info({ listener: listener.name, reason }, 'listener closed');
    },
    bridges,
    close() {
      closing ??= (async () => {
        broker.readiness.hold('shutting down');
        sys.stop();
        const closed = Promise.all([...listeners.map((l) => l.close()), admin?.close()]);
        await bridges.stop();
        await broker.close();
        await closed;
      })();
      return closing;
    },
  };
}
