import { hostname } from 'node:os';
import { addressUrl, type BridgeAddressSpec } from './bridge-values.js';
import type { DraftBridge } from './draft.js';
import { ConfigError, formatOrigin } from './errors.js';
import type { DefaultContext } from './option-spec.js';
import type { SettingName } from './options.js';
import { sectionValues } from './resolve.js';
import type { BridgeConfig, BridgeTls } from './types.js';

/** TLS settings that mean something only when the bridge speaks TLS. */
const TLS_ONLY: readonly SettingName[] = ['bridge_certfile', 'bridge_keyfile', 'bridge_insecure', 'bridge_tls_version', 'bridge_alpn'];

function failAt(bridge: DraftBridge, name: SettingName | undefined, problem: string): never {
  throw new ConfigError(problem, (name && bridge.bag.origins[name]) || bridge.origin);
}

function encryptedScheme(spec: BridgeAddressSpec): boolean {
  return spec.scheme === 'mqtts:' || spec.scheme === 'wss:';
}

/**
 * TLS as mosquitto decides it: `bridge_cafile` or `bridge_capath` turns it on for
 * `host:port` addresses; a `mqtts://` or `wss://` address asks for it itself (with the
 * system's CAs unless a CA is given). Options that need TLS are refused without it.
 */
function resolveTls(bridge: DraftBridge, addresses: readonly BridgeAddressSpec[], context: DefaultContext): BridgeTls | undefined {
  const v = bridge.bag.values;
  const caGiven = v.bridge_cafile !== undefined || v.bridge_capath !== undefined;
  if (caGiven) {
    const plain = addresses.find((a) => a.scheme === 'mqtt:' || a.scheme === 'ws:');
    if (plain) failAt(bridge, 'address', `bridge ${bridge.name}: address ${addressUrl(plain)} is not encrypted, but bridge_cafile/bridge_capath ask for TLS`);
  }
  if (!caGiven && !addresses.some(encryptedScheme)) {
    const tlsOption = TLS_ONLY.find((name) => v[name] !== undefined);
    if (tlsOption) failAt(bridge, tlsOption, `${tlsOption} needs TLS: set bridge_cafile or bridge_capath (or use a mqtts:// or wss:// address) in bridge ${bridge.name}`);
    return undefined;
  }
  if ((v.bridge_certfile === undefined) !== (v.bridge_keyfile === undefined)) {
    const given = v.bridge_certfile === undefined ? 'bridge_keyfile' : 'bridge_certfile';
    failAt(bridge, given, `${given} needs ${given === 'bridge_certfile' ? 'bridge_keyfile' : 'bridge_certfile'} in the same bridge (${bridge.name})`);
  }
  return sectionValues('bridgeTls', bridge.bag, context);
}

/**
 * One bridge, its defaults filled in from the option table and the ones that depend on other
 * options here: a `host:port` address is dialled with TLS exactly when a CA is configured, as
 * in mosquitto; the client ids and the notification topic follow `remote_clientid`, whose
 * default in a cluster is the connection name alone (mosquitto's `HOSTNAME.NAME` would differ
 * from node to node, and the node that takes a bridge over must resume the same sessions).
 */
function resolveBridge(bridge: DraftBridge, context: DefaultContext, clustered: boolean): BridgeConfig {
  const v = bridge.bag.values;
  const own = sectionValues('bridge', bridge.bag, context);
  const written = own.addresses ?? failAt(bridge, undefined, `bridge ${bridge.name} has no address: add 'address host[:port]' after its connection line`);
  if (own.topics.length === 0) failAt(bridge, undefined, `bridge ${bridge.name} has no topic: add at least one 'topic PATTERN [out|in|both] [QOS]'`);
  if (v.remote_password !== undefined && v.remote_username === undefined) {
    failAt(bridge, 'remote_password', `remote_password needs remote_username in bridge ${bridge.name}`);
  }
  const caGiven = v.bridge_cafile !== undefined || v.bridge_capath !== undefined;
  const addresses = written.map((a): BridgeAddressSpec => ({ ...a, scheme: a.scheme ?? (caGiven ? 'mqtts:' : 'mqtt:') }));
  const remoteClientId = own.remoteClientId ?? (clustered ? bridge.name : `${hostname()}.${bridge.name}`);
  return {
    name: bridge.name,
    ...own,
    addresses,
    localCleanSession: own.localCleanSession ?? own.cleanSession,
    remoteClientId,
    localClientId: own.localClientId ?? `local.${remoteClientId}`,
    notificationTopic: own.notificationTopic ?? `$SYS/broker/connection/${remoteClientId}/state`,
    tls: resolveTls(bridge, addresses, context),
  };
}

/**
 * Every bridge of the configuration, checked: each needs an address and a topic, and no two
 * may share a local client id (each is the id of one local session).
 */
export function resolveBridges(bridges: readonly DraftBridge[], context: DefaultContext, clustered: boolean): BridgeConfig[] {
  const resolved = bridges.map((bridge) => resolveBridge(bridge, context, clustered));
  resolved.forEach((config, index) => {
    const earlier = resolved.findIndex((other) => other.localClientId === config.localClientId);
    if (earlier === index) return;
    failAt(bridges[index]!, 'local_clientid', `bridge ${config.name} uses local client id '${config.localClientId}', as bridge ${resolved[earlier]!.name} does (at ${formatOrigin(bridges[earlier]!.origin)}): set local_clientid or remote_clientid`);
  });
  return resolved;
}
