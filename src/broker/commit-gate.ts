import type { Store } from './ports/store.js';

/**
 * Runs `send` once everything staged in the store so far is durable, or at once
 * when nothing waits for a commit (no store, QoS 0 traffic, clean sessions only).
 * Every acknowledgement that promises something about stored state goes through
 * here. It waits even when its own packet wrote nothing, because what it answers
 * may rest on state not yet on disk (a QoS 2 id, a message queued by an earlier
 * packet); and since commits complete in order, acknowledgements keep the order
 * of the packets they answer, as [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.6.0-4] ask of clients.
 * The acknowledgement of a PUBLISH goes through `PublishAdmission.whenSafe`, which ends here.
 */
export function whenDurable(store: Store | undefined, send: () => void, failed: (err: unknown) => void): void | Promise<void> {
  if (!store?.pending) return send();
  return store.commit().then(send, failed);
}
