import type { DraftListener } from './draft.js';
import { formatOrigin } from './errors.js';
import { isLoopbackAddress } from './resolve.js';
import type { ListenerConfig } from './types.js';

/** Protocols clients publish through over TCP (the admin API's http is not one; MQTT-SN has no TLS). */
const TLS_PUBLISHING: ReadonlySet<string> = new Set(['mqtt', 'websockets']);

/**
 * Does a listener clients publish through carry traffic in clear beyond this machine? A
 * plain listener bound to loopback puts nothing on the network.
 */
function plainBeyondLoopback(listeners: readonly ListenerConfig[]): boolean {
  return listeners.some((l) => l.protocol !== 'http' && !l.encrypted && !isLoopbackAddress(l.address));
}

/**
 * A TLS listener that does not say `confidential` is confidential when a plain listener
 * is open beyond loopback: what is published on it then reaches encrypted subscribers
 * only, as the README promises of what arrives encrypted. Each one changed gets a notice
 * saying so, and how to opt out (`confidential false`). `draft[i]` is where `resolved[i]`
 * came from; the resolved listeners are changed in place.
 */
export function applyConfidentialDefault(draft: readonly DraftListener[], resolved: ListenerConfig[], notices: string[]): void {
  if (!plainBeyondLoopback(resolved)) return;
  resolved.forEach((listener, i) => {
    const source = draft[i]!;
    if (!listener.encrypted || !TLS_PUBLISHING.has(listener.protocol) || source.bag.values.confidential !== undefined) return;
    listener.confidential = true;
    const where = source.origin ? `${formatOrigin(source.origin)}: ` : '';
    notices.push(`${where}listener ${listener.port} is encrypted and a plain listener is open beyond loopback, so it is confidential: what is `
      + `published on it reaches encrypted subscribers only (write 'confidential false' on it to deliver it in clear as well)`);
  });
}
