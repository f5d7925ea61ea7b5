import { Document, isMap, isSeq } from 'yaml';
import { configProvenance } from './provenance.js';
import type { ListenerConfig, MidgeConfig, SecuritySettings } from './types.js';

/** What secrets are replaced with. */
export const REDACTED = 'redacted';

type YamlObject = Record<string, unknown>;

/** Keeps optional settings out of the output when unset, so the output loads back as is. */
function defined(entries: YamlObject): YamlObject {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

/** A Redis URL may carry a password: keep the rest, which is what one needs to debug. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = REDACTED;
    return parsed.toString();
  } catch {
    return REDACTED;
  }
}

function securityOptions(security: SecuritySettings): YamlObject {
  return defined({
    allow_anonymous: security.allowAnonymous,
    allow_zero_length_clientid: security.allowZeroLengthClientId,
    password_file: security.passwordFile,
    acl_file: security.aclFile,
  });
}

function listenerOptions(listener: ListenerConfig, perListener: boolean): YamlObject {
  const tls = listener.tls;
  return defined({
    port: listener.port,
    address: listener.address,
    protocol: listener.protocol,
    max_connections: listener.maxConnections,
    socket_domain: listener.socketDomain,
    websockets_path: listener.websocketsPath,
    confidential: listener.protocol === 'http' ? undefined : listener.confidential,
    ...(tls && defined({
      certfile: tls.certfile,
      keyfile: tls.keyfile,
      cafile: tls.cafile,
      capath: tls.capath,
      crlfile: tls.crlfile,
      ciphers: tls.ciphers,
      tls_version: tls.tlsVersion,
      require_certificate: tls.requireCertificate,
      use_identity_as_username: tls.useIdentityAsUsername,
      use_subject_as_username: tls.useSubjectAsUsername,
    })),
    ...(perListener ? securityOptions(listener.security) : {}),
  });
}

/** A list option is written only when it has entries (an empty YAML list would not load). */
function nonEmpty<T>(values: readonly T[]): readonly T[] | undefined {
  return values.length === 0 ? undefined : values;
}

function globalOptions(config: MidgeConfig): YamlObject {
  const { auth, limits, persistence, operations, mqttsn } = config;
  return defined({
    per_listener_settings: auth.perListenerSettings,
    ...(auth.perListenerSettings ? {} : securityOptions(auth)),
    admin_user: nonEmpty(auth.adminUsers),
    admin_token: auth.adminToken === undefined ? undefined : REDACTED,
    scram_users_file: auth.scramUsersFile,
    max_packet_size: limits.maxPacketSize,
    message_size_limit: limits.maxPayloadSize,
    max_inflight_messages: limits.maxInflightMessages,
    max_queued_messages: limits.maxQueuedMessages,
    max_queued_bytes: limits.maxQueuedBytes,
    max_topic_levels: limits.maxTopicLevels,
    connect_timeout: limits.connectTimeout,
    max_keepalive: limits.maxKeepalive,
    max_session_expiry_interval: limits.maxSessionExpiryInterval,
    max_topic_alias: limits.topicAliasMaximum,
    max_qos: limits.maxQos,
    retain_available: limits.retainAvailable,
    max_connections: limits.maxConnections,
    persistence: persistence.enabled,
    persistence_location: persistence.location,
    persistence_sync: persistence.sync,
    sys_interval: operations.sysInterval,
    log_level: operations.logLevel,
    trace_clients: nonEmpty(operations.traceClients),
    response_information_prefix: operations.responseInformationPrefix || undefined,
    mqttsn_gateway_id: mqttsn.gatewayId,
    mqttsn_advertise_interval: mqttsn.advertiseInterval,
    mqttsn_predefined_topic: nonEmpty(mqttsn.predefinedTopics.map((t) => ({ id: t.id, topic: t.topic }))),
    mqttsn_max_clients: mqttsn.maxClients,
    confidential_topics: nonEmpty(config.confidentialTopics),
    cluster_redis_url: config.cluster && redactUrl(config.cluster.redisUrl),
    cluster_node_id: config.cluster?.nodeId,
    listeners: config.listeners.map((listener) => listenerOptions(listener, auth.perListenerSettings)),
  });
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
 * cluster_redis_url) are redacted. Each listener carries a comment saying whether it is
 * encrypted; mosquitto options accepted without effect are listed in a closing comment.
 */
export function formatConfig(config: MidgeConfig): string {
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
