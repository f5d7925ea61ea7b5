import type { Directive } from './directive.js';
import { parseInteger, parseText } from './values.js';

/** A mosquitto option midge accepts (so existing files load) though it changes nothing. */
interface AcceptedOption {
  /** Why it has no effect, shown in the warnings. */
  why: string;
  /** Rejects values mosquitto itself would reject, so a typo is still caught. */
  check(directive: Directive): void;
}

/**
 * mosquitto options accepted without effect. They are reported by `configWarnings`, never
 * dropped silently: a user who sets them should learn they do nothing here.
 */
export const ACCEPTED_WITHOUT_EFFECT: ReadonlyMap<string, AcceptedOption> = new Map<string, AcceptedOption>([
  ['user', { why: 'midge does not switch users; start it as the user it should run as', check: (d) => void parseText(d) }],
  ['autosave_interval', { why: 'midge commits to its store every event-loop turn', check: (d) => void parseInteger(d, -2147483648, 2147483647) }],
]);

const localIdentityHint = 'a midge bridge acts locally as an internal identity that ACLs do not restrict; restrict what it carries with its topic lines';
const pluginHint = 'plugins are not supported';
const pskHint = 'TLS-PSK is not supported; use certificates';

/** mosquitto options midge does not offer, with a hint where one helps (`plugin_opt_` and `auth_opt_` are prefixes). */
export const UNSUPPORTED_OPTIONS: ReadonlyMap<string, string> = new Map<string, string>([
  ['local_username', localIdentityHint], ['local_password', localIdentityHint],
  ['bridge_identity', 'TLS-PSK is not supported; use bridge_certfile and bridge_keyfile'],
  ['bridge_psk', 'TLS-PSK is not supported; use bridge_certfile and bridge_keyfile'],
  ['bridge_require_ocsp', 'OCSP stapling is not checked'],
  ['bridge_max_topic_alias', 'bridges send full topic names'], ['bridge_receive_maximum', ''], ['bridge_session_expiry_interval', ''],
  ...['plugin', 'auth_plugin', 'global_plugin', 'auth_plugin_deny_special_chars', 'plugin_opt_', 'auth_opt_'].map((k): [string, string] => [k, pluginHint]),
  ['psk_file', pskHint], ['psk_hint', pskHint],
  ['mount_point', ''], ['http_dir', ''], ['use_username_as_clientid', ''], ['auto_id_prefix', ''],
  ['clientid_prefixes', ''], ['allow_duplicate_messages', ''], ['check_retain_source', ''],
  ['queue_qos0_messages', ''], ['upgrade_outgoing_qos', ''], ['set_tcp_nodelay', ''], ['max_inflight_bytes', ''],
  ['memory_limit', ''], ['persistence_file', 'midge keeps its store in persistence_location'],
  ['retained_persistence', 'use persistence'], ['store_clean_interval', ''], ['retry_interval', ''],
  ['websockets_log_level', ''], ['websockets_headers_size', ''], ['websockets_origin', ''], ['bind_interface', ''],
  ['ciphers_tls1.3', ''], ['dhparamfile', ''], ['tls_engine', ''], ['tls_keyform', ''], ['tls_engine_kpass_sha1', ''],
  ['autosave_on_changes', ''], ['connection_messages', ''], ['log_facility', ''], ['max_topic_alias_broker', ''],
  ['maximum_qos', 'use max_qos'], ['accept_protocol_versions', ''], ['require_ocsp', ''],
]);

/** The problem to report for a mosquitto option midge lacks, or undefined for a name mosquitto lacks too. */
export function unsupportedMosquittoOption(key: string): string | undefined {
  const prefix = key.startsWith('plugin_opt_') ? 'plugin_opt_' : key.startsWith('auth_opt_') ? 'auth_opt_' : key;
  const hint = UNSUPPORTED_OPTIONS.get(prefix);
  if (hint === undefined) return undefined;
  return `'${key}' is a mosquitto option midge does not support${hint ? ` (${hint})` : ''}`;
}

/** Levenshtein distance, enough to catch `lisener` for `listener`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name closest to a misspelt one, when it is close enough to be a typo. */
export function closestName(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const name of known) {
    const distance = editDistance(key, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}
