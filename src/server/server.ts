import { Broker, type BrokerOptions, type BrokerLimits } from '../broker/index.js';
import { listenTcp, type BoundListener } from '../transport/tcp.js';

/** One listener to open. */
export interface ListenerSpec {
  port: number;
  host: string | undefined;
  protocol: 'mqtt';
  name?: string;
  maxConnections?: number;
  confidential?: boolean;
}

/** What a midge server is made of. */
export interface ServerOptions {
  listeners: ListenerSpec[];
  broker?: Partial<Omit<BrokerOptions, 'limits'>> & { limits?: Partial<BrokerLimits> };
}

/** A running midge: the broker core and its bound listeners. */
export interface MidgeServer {
  readonly broker: Broker;
  readonly listeners: readonly BoundListener[];
  /** Stops accepting, closes clients (v5: DISCONNECT 0x8B) and the store. */
  close(): Promise<void>;
}

/**
 * Builds and starts a midge server: restores the store, then binds every
 * listener (restore first, so no client sees a half-loaded broker).
 * Embedding applications use this; `midge broker` is a thin CLI over it.
 */
export async function startServer(options: ServerOptions): Promise<MidgeServer> {
  const broker = new Broker(options.broker);
  await broker.start();
  const listeners: BoundListener[] = [];
  try {
    for (const spec of options.listeners) {
      const name = spec.name ?? `${spec.protocol}:${spec.port}`;
      listeners.push(await listenTcp(broker, {
        port: spec.port, host: spec.host, name, maxConnections: spec.maxConnections ?? 0, confidential: spec.confidential ?? false,
      }));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await broker.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    broker,
    listeners,
    close() {
      closing ??= (async () => {
        const closed = Promise.all(listeners.map((l) => l.close()));
        await broker.close();
        await closed;
      })();
      return closing;
    },
  };
}
