import type { BrokerMessage } from './message.js';
import type { DropReason, Session } from './session.js';

/** The events the broker core announces, with their payloads. */
export interface BrokerEvents {
  /** A client completed CONNECT. */
  clientConnected: { clientId: string; username: string | undefined; listener: string; remoteAddress: string; protocolVersion: number; sessionPresent: boolean };
  /** A client's connection ended; `reasonCode` is why (0 for a normal DISCONNECT). */
  clientDisconnected: { clientId: string; username: string | undefined; listener: string; remoteAddress: string; reasonCode: number; reason: string };
  /** A CONNECT was refused. */
  connectRefused: { clientId: string; username: string | undefined; listener: string; remoteAddress: string; reasonCode: number; reason: string };
  /** A message entered the broker (from a client, a will, or the broker itself) and was routed. */
  messagePublished: { message: BrokerMessage; deliveries: number };
  /** A message was not delivered to one session. */
  messageDropped: { session: Session; message: BrokerMessage; reason: DropReason };
  /** A subscription was added or replaced. */
  subscribed: { clientId: string; filter: string; qos: number };
  /** A subscription was removed. */
  unsubscribed: { clientId: string; filter: string };
  /** A session ended (expired, clean start, or a clean session disconnected). */
  sessionEnded: { clientId: string; expired: boolean };
  /** The broker could not route or persist something and wants operators to know. */
  brokerError: { error: Error; context: string };
}

/** Stops a hook from being called again. */
export type Disposer = () => void;

type Listener<K extends keyof BrokerEvents> = (event: BrokerEvents[K]) => void;

/**
 * A typed hook registry. `on()` returns its own disposer so a plugin cannot
 * forget to unregister what it registered. Listeners run synchronously; one
 * that throws is reported and does not stop the others.
 */
export class Hooks {
  private readonly listeners: { [K in keyof BrokerEvents]?: Listener<K>[] } = {};

  on<K extends keyof BrokerEvents>(event: K, listener: Listener<K>): Disposer {
    const list = (this.listeners[event] ??= []) as Listener<K>[];
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /** True when someone listens, so the hot path can skip building events. */
  has<K extends keyof BrokerEvents>(event: K): boolean {
    return (this.listeners[event]?.length ?? 0) > 0;
  }

  emit<K extends keyof BrokerEvents>(event: K, payload: BrokerEvents[K]): void {
    const list = this.listeners[event] as Listener<K>[] | undefined;
    if (!list) return;
    for (const listener of [...list]) {
      try {
        listener(payload);
      } catch (error) {
        if (event !== 'brokerError') {
          this.emit('brokerError', { error: error instanceof Error ? error : new Error(String(error)), context: `hook ${event}` });
        }
      }
    }
  }
}
