import type { Draft, DraftListener } from './draft.js';
import { ConfigError, formatOrigin, type Origin } from './errors.js';
import type { SettingName } from './options.js';
import { openedListeners } from './resolve.js';
import type { ListenerConfig } from './types.js';

/** How messages name a listener: `listener 8883` or `listener 8883 127.0.0.1`. */
export function describeListener(listener: Pick<ListenerConfig, 'port' | 'address'>): string {
  return `listener ${listener.port}${listener.address === undefined ? '' : ` ${listener.address}`}`;
}

/** TLS options that mean something only on a listener with certfile and keyfile. */
const TLS_ONLY: readonly SettingName[] = [
  'cafile', 'capath', 'crlfile', 'ciphers', 'tls_version', 'require_certificate', 'use_identity_as_username', 'use_subject_as_username',
];

function firstSet(listener: DraftListener, names: readonly SettingName[]): SettingName | undefined {
  return names.find((name) => listener.bag.values[name] !== undefined);
}

function failAt(listener: DraftListener, name: SettingName, problem: string): never {
  throw new ConfigError(problem, listener.bag.origins[name] ?? listener.origin);
}

/** Checks the options of one listener against each other and against its protocol. */
function validateListener(listener: DraftListener, resolved: ListenerConfig): void {
  const values = listener.bag.values;
  const label = describeListener(resolved);
  if (resolved.protocol === 'mqttsn') {
    const tlsOption = firstSet(listener, ['certfile', 'keyfile', ...TLS_ONLY]);
    if (tlsOption) failAt(listener, tlsOption, `${tlsOption} cannot be used on ${label}: MQTT-SN runs over UDP, without TLS`);
  }
  if ((values.certfile === undefined) !== (values.keyfile === undefined)) {
    const given = values.certfile === undefined ? 'keyfile' : 'certfile';
    failAt(listener, given, `${given} needs ${given === 'certfile' ? 'keyfile' : 'certfile'} on the same listener (${label})`);
  }
  const tlsOption = resolved.tls ? undefined : firstSet(listener, TLS_ONLY);
  if (tlsOption) failAt(listener, tlsOption, `${tlsOption} needs a TLS listener: set certfile and keyfile on ${label}`);
  if (values.use_identity_as_username && values.use_subject_as_username) {
    failAt(listener, 'use_subject_as_username', 'use_identity_as_username and use_subject_as_username cannot both be true');
  }
  if (values.websockets_path !== undefined && resolved.protocol !== 'websockets') {
    failAt(listener, 'websockets_path', `websockets_path needs protocol websockets (${label} is ${resolved.protocol})`);
  }
  if (values.confidential !== undefined && resolved.protocol === 'http') {
    failAt(listener, 'confidential', `confidential applies to listeners clients publish through, not to ${label} (http)`);
  }
}

/** Checks what can only be judged once the whole configuration has been read. */
export function validateDraft(draft: Draft, resolved: readonly ListenerConfig[]): void {
  const listeners = openedListeners(draft);
  listeners.forEach((listener, index) => validateListener(listener, resolved[index]!));
  const stray = draft.defaultListenerSecurity;
  if (stray && !listeners.includes(draft.defaultListener)) {
    throw new ConfigError(
      `with per_listener_settings true, ${stray.key} belongs to a listener: write it after a 'listener' line (before any, it would apply to mosquitto's default listener, which this config does not open)`,
      stray.origin,
    );
  }
  for (const key of ['cluster_node_id', 'cluster_wait_replicas'] as const) {
    const origin = draft.global.origins[key];
    if (origin && draft.global.values.cluster_redis_url === undefined) throw new ConfigError(`${key} needs cluster_redis_url`, origin);
  }
}

/** UDP and TCP ports are separate: an MQTT-SN listener may share a port number with a TCP one. */
function transportOf(listener: ListenerConfig): 'udp' | 'tcp' {
  return listener.protocol === 'mqttsn' ? 'udp' : 'tcp';
}

/**
 * Two listeners that would bind the same port (0 excepted: the system picks distinct ones).
 * A listener on every interface clashes with any other on its port.
 */
export function checkDuplicateListeners(listeners: readonly ListenerConfig[], origins: readonly (Origin | undefined)[]): void {
  for (let later = 1; later < listeners.length; later++) {
    const b = listeners[later]!;
    for (let earlier = 0; earlier < later; earlier++) {
      const a = listeners[earlier]!;
      const sameAddress = a.address === undefined || b.address === undefined || a.address === b.address;
      if (a.port === 0 || a.port !== b.port || !sameAddress || transportOf(a) !== transportOf(b)) continue;
      const where = origins[earlier];
      throw new ConfigError(`${describeListener(b)} clashes with ${describeListener(a)}${where ? ` at ${formatOrigin(where)}` : ''}: same port and address`, origins[later]);
    }
  }
}

/**
 * mosquitto opens its default listener (port 1883) when listener options come before any
 * `listener` line, on top of the declared listeners: legal, but rarely what was meant.
 */
export function defaultListenerNotice(draft: Draft): string | undefined {
  const listener = draft.defaultListener;
  if (!draft.defaultListenerUsed || draft.listeners.length === 0 || listener.port !== undefined || listener.address !== undefined) return undefined;
  const where = listener.origin ? `${formatOrigin(listener.origin)}: ` : '';
  return `${where}this listener option comes before any 'listener' line, so it configures mosquitto's default listener, which midge opens on port 1883 besides the declared ones`;
}
