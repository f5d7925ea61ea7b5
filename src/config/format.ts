import type { Section } from './option-spec.js';
import { REDACTED, redactUrl } from './option-values.js';
import { OPTIONS, optionsOf } from './options.js';
import { configProvenance } from './provenance.js';
import type { BridgeConfig, ListenerConfig, MidgeConfig } from './types.js';
import { yamlModule } from './yaml-module.js';

export { REDACTED, redactUrl };

type YamlObject = Record<string, unknown>;

/** Written on every listener: a listener's own value, or the global default it took. */
const MAX_CONNECTIONS = OPTIONS.get('max_connections')!;

/**
 * The options of one section as the config writes them, by the option table: each option's
 * `format` of its field; unset and empty values are left out, so the output loads back as is.
 */
function sectionOptions(section: Section, fields: object): YamlObject {
  const values = fields as Record<string, unknown>;
  const options: YamlObject = {};
  for (const option of optionsOf(section)) {
    const value = values[option.field];
    const written = value === undefined ? undefined : option.format(value);
    if (written !== undefined) options[option.name] = written;
  }
  return options;
}

/** A listener's settings by option name, as `--test-config` writes them (a reload compares them). */
export function listenerOptions(listener: ListenerConfig, perListener: boolean): YamlObject {
  const own = sectionOptions('listener', listener);
  // Nobody publishes through the admin API's listener: `confidential` means nothing there.
  if (listener.protocol === 'http') delete own.confidential;
  return {
    port: listener.port,
    ...(listener.address === undefined ? {} : { address: listener.address }),
    ...own,
    max_connections: MAX_CONNECTIONS.format(listener.maxConnections),
    ...(listener.tls && sectionOptions('tls', listener.tls)),
    ...(perListener ? sectionOptions('security', listener.security) : {}),
  };
}

/** A bridge's settings by option name, as `--test-config` writes them (remote_password redacted). */
function bridgeOptions(bridge: BridgeConfig): YamlObject {
  return { connection: bridge.name, ...sectionOptions('bridge', bridge), ...(bridge.tls && sectionOptions('bridgeTls', bridge.tls)) };
}

/** The global settings by option name (secrets redacted), the listeners under `listeners`. */
export function globalOptions(config: MidgeConfig): YamlObject {
  const { auth } = config;
  return {
    per_listener_settings: auth.perListenerSettings,
    ...(auth.perListenerSettings ? {} : sectionOptions('security', auth)),
    ...sectionOptions('auth', auth),
    ...sectionOptions('limits', config.limits),
    ...sectionOptions('persistence', config.persistence),
    ...sectionOptions('operations', config.operations),
    ...sectionOptions('mqttsn', config.mqttsn),
    ...sectionOptions('root', config),
    ...(config.cluster && sectionOptions('cluster', config.cluster)),
    ...(config.bridges.length > 0 ? { bridges: config.bridges.map(bridgeOptions) } : {}),
    listeners: config.listeners.map((listener) => listenerOptions(listener, auth.perListenerSettings)),
  };
}

/** `mqtts, encrypted`: the scheme clients use, and the derived `encrypted` flag. */
function describeTransport(listener: ListenerConfig): string {
  const schemes = { mqtt: ['mqtt', 'mqtts'], websockets: ['ws', 'wss'], http: ['http', 'https'], mqttsn: ['MQTT-SN over UDP', ''] } as const;
  const scheme = schemes[listener.protocol][listener.encrypted ? 1 : 0];
  return ` ${scheme}, ${listener.encrypted ? 'encrypted' : 'not encrypted'}`;
}

function header(config: MidgeConfig): string {
  const files = configProvenance(config)?.files ?? [];
  const from = files.length === 0 ? 'defaults (no config file)' : files.join(', ');
  return ` midge configuration as resolved from ${from}\n secrets are redacted; this output loads back as a YAML config`;
}

/**
 * The resolved configuration as YAML, in the config's own option names, so `--test-config`
 * output can be read against the file and loaded back. Secrets (admin_token, a password in
 * cluster_redis_url, a bridge's remote_password) are redacted. Each listener carries a comment saying whether it is
 * encrypted; mosquitto options accepted without effect are listed in a closing comment.
 */
export function formatConfig(config: MidgeConfig): string {
  const { Document, isMap, isSeq } = yamlModule();
  const document = new Document(globalOptions(config));
  document.commentBefore = header(config);
  const listeners = document.get('listeners', true);
  if (isSeq(listeners)) {
    listeners.items.forEach((item, index) => {
      if (isMap(item)) item.commentBefore = describeTransport(config.listeners[index]!);
    });
  }
  if (config.acceptedWithoutEffect.length > 0) {
    document.comment = ` accepted without effect (see the warnings): ${config.acceptedWithoutEffect.join(', ')}`;
  }
  return document.toString({ lineWidth: 0 });
}
