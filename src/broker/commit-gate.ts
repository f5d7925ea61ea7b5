import type { BrokerMessage } from './message.js';
import type { ClusterBus } from './ports/cluster.js';
import type { Store } from './ports/store.js';

/**
 * Runs `send` once everything staged in the store so far is durable, or at once
 * when nothing waits for a commit (no store, QoS 0 traffic, clean sessions only).
 * Every acknowledgement that promises something about stored state goes through
 * here. It waits even when its own packet wrote nothing, because what it answers
 * may rest on state not yet on disk (a QoS 2 id, a message queued by an earlier
 * packet); and since commits complete in order, acknowledgements keep the order
 * of the packets they answer, as [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.6.0-4] ask of clients.
 */
export function whenDurable(store: Store | undefined, send: () => void, failed: (err: unknown) => void): void | Promise<void> {
  if (!store?.pending) return send();
  return store.commit().then(send, failed);
}

/**
 * {@link whenDurable} for the acknowledgement of a PUBLISH on a node of a cluster:
 * it first waits for everything routed to other nodes so far (so acknowledgements
 * keep their order), then for the commit. `refused` runs instead of `send` when
 * `message` could not be routed to every node it had to reach: the client is
 * told so rather than promised a delivery that will not happen.
 */
export function whenRouted(
  cluster: ClusterBus | undefined, message: BrokerMessage | undefined, store: Store | undefined,
  send: () => void, refused: () => void, failed: (err: unknown) => void,
): void | Promise<void> {
  const routing = cluster?.settled(message);
  if (!routing) return whenDurable(store, send, failed);
  return routing.then((ok) => whenDurable(store, ok ? send : refused, failed), failed);
}
