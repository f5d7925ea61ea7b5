import { resolve } from 'node:path';
import { defaultLimits } from '../broker/options.js';
import type { Draft, DraftListener, SettingBag } from './draft.js';
import type { Origin } from './errors.js';
import {
  DEFAULT_MQTT_PORT, DEFAULT_MQTTSN_PORT, LOCAL_ONLY_ADDRESS,
  type LimitSettings, type ListenerConfig, type MidgeConfig, type SecuritySettings, type TlsSettings,
} from './types.js';

/**
 * The limits of a configuration that sets none (see `LimitSettings` for why each): the
 * broker's own defaults, so that embedding and configuring give one and the same broker.
 */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = {
  maxPacketSize: defaultLimits.maxPacketSize,
  maxPayloadSize: defaultLimits.maxPayloadSize,
  maxInflightMessages: defaultLimits.maxInflightMessages,
  maxQueuedMessages: defaultLimits.maxQueuedMessages,
  maxQueuedBytes: defaultLimits.maxQueuedBytes,
  maxTopicLevels: defaultLimits.maxTopicLevels,
  connectTimeout: defaultLimits.connectTimeout,
  maxKeepalive: defaultLimits.maxKeepalive,
  maxSessionExpiryInterval: defaultLimits.maxSessionExpiryInterval,
  topicAliasMaximum: defaultLimits.topicAliasMaximum,
  maxQos: defaultLimits.maxQos,
  retainAvailable: true,
  maxConnections: -1,
};

/** Loopback addresses: a listener bound to one is reachable from this machine only. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || /^::ffff:127\./i.test(address);
}

/** What is needed to turn draft listeners into listeners. */
interface ListenerDefaults {
  /** No listener declared: the default listener binds loopback and anonymous is allowed. */
  localOnly: boolean;
  perListenerSettings: boolean;
  global: SettingBag;
  globalSecurity: SecuritySettings;
}

function securityOf(bag: SettingBag, localOnly: boolean): SecuritySettings {
  const values = bag.values;
  return {
    allowAnonymous: values.allow_anonymous ?? localOnly,
    passwordFile: values.password_file,
    aclFile: values.acl_file,
    allowZeroLengthClientId: values.allow_zero_length_clientid ?? true,
  };
}

function tlsOf(bag: SettingBag): TlsSettings | undefined {
  const values = bag.values;
  if (values.certfile === undefined || values.keyfile === undefined) return undefined;
  return {
    certfile: values.certfile,
    keyfile: values.keyfile,
    cafile: values.cafile,
    capath: values.capath,
    crlfile: values.crlfile,
    ciphers: values.ciphers,
    tlsVersion: values.tls_version,
    requireCertificate: values.require_certificate ?? false,
    useIdentityAsUsername: values.use_identity_as_username ?? false,
    useSubjectAsUsername: values.use_subject_as_username ?? false,
  };
}

function resolveListener(listener: DraftListener, defaults: ListenerDefaults): ListenerConfig {
  const values = listener.bag.values;
  const protocol = values.protocol ?? 'mqtt';
  const tls = tlsOf(listener.bag);
  return {
    port: listener.port ?? (protocol === 'mqttsn' ? DEFAULT_MQTTSN_PORT : DEFAULT_MQTT_PORT),
    address: listener.address ?? (listener.isDefault && defaults.localOnly ? LOCAL_ONLY_ADDRESS : undefined),
    protocol,
    encrypted: tls !== undefined,
    tls,
    maxConnections: values.max_connections ?? defaults.global.values.max_connections ?? DEFAULT_LIMITS.maxConnections,
    websocketsPath: values.websockets_path,
    confidential: values.confidential ?? false,
    socketDomain: values.socket_domain,
    security: defaults.perListenerSettings ? securityOf(listener.bag, defaults.localOnly) : { ...defaults.globalSecurity },
  };
}

/**
 * The listeners opened, in mosquitto's order: the declared ones, then the default listener
 * when it was configured (`port`, `bind_address`, listener options before any `listener`) or
 * when nothing else was declared.
 */
export function openedListeners(draft: Draft): DraftListener[] {
  const openDefault = draft.defaultListenerUsed || draft.listeners.length === 0;
  return openDefault ? [...draft.listeners, draft.defaultListener] : [...draft.listeners];
}

function limitsOf(global: SettingBag): LimitSettings {
  const v = global.values;
  const d = DEFAULT_LIMITS;
  return {
    maxPacketSize: v.max_packet_size ?? d.maxPacketSize,
    maxPayloadSize: v.message_size_limit ?? d.maxPayloadSize,
    maxInflightMessages: v.max_inflight_messages ?? d.maxInflightMessages,
    maxQueuedMessages: v.max_queued_messages ?? d.maxQueuedMessages,
    maxQueuedBytes: v.max_queued_bytes ?? d.maxQueuedBytes,
    maxTopicLevels: v.max_topic_levels ?? d.maxTopicLevels,
    connectTimeout: v.connect_timeout ?? d.connectTimeout,
    maxKeepalive: v.max_keepalive ?? d.maxKeepalive,
    maxSessionExpiryInterval: v.max_session_expiry_interval ?? d.maxSessionExpiryInterval,
    topicAliasMaximum: v.max_topic_alias ?? d.topicAliasMaximum,
    maxQos: v.max_qos ?? d.maxQos,
    retainAvailable: v.retain_available ?? d.retainAvailable,
    maxConnections: v.max_connections ?? d.maxConnections,
  };
}

/** The resolved config and, index for index, where each listener was declared. */
export interface ResolvedDraft {
  config: MidgeConfig;
  listenerOrigins: (Origin | undefined)[];
}

/**
 * Fills in every default. `localOnly` says the configuration declared no listener, in which
 * case (as in Mosquitto 2) midge listens on loopback only and lets anonymous clients in.
 */
export function resolveDraft(draft: Draft, cwd: string, localOnly: boolean): ResolvedDraft {
  const v = draft.global.values;
  const globalSecurity = securityOf(draft.global, localOnly);
  const defaults: ListenerDefaults = { localOnly, perListenerSettings: draft.perListenerSettings, global: draft.global, globalSecurity };
  const listeners = openedListeners(draft);
  const config: MidgeConfig = {
    listeners: listeners.map((listener) => resolveListener(listener, defaults)),
    auth: {
      perListenerSettings: draft.perListenerSettings,
      ...globalSecurity,
      adminUsers: [...(v.admin_user ?? [])],
      adminToken: v.admin_token,
      scramUsersFile: v.scram_users_file,
    },
    limits: limitsOf(draft.global),
    persistence: {
      enabled: v.persistence ?? true,
      location: v.persistence_location ?? resolve(cwd, 'data'),
      sync: v.persistence_sync ?? 'normal',
    },
    operations: {
      sysInterval: v.sys_interval ?? 10,
      logLevel: v.log_level ?? 'info',
      traceClients: [...(v.trace_clients ?? [])],
      responseInformationPrefix: v.response_information_prefix ?? 'response/',
    },
    mqttsn: {
      gatewayId: v.mqttsn_gateway_id ?? 1,
      advertiseInterval: v.mqttsn_advertise_interval ?? 0,
      predefinedTopics: (v.mqttsn_predefined_topic ?? []).map((topic) => ({ ...topic })),
      maxClients: v.mqttsn_max_clients ?? 1000,
    },
    confidentialTopics: [...new Set(v.confidential_topics ?? [])],
    cluster: v.cluster_redis_url === undefined ? undefined : { redisUrl: v.cluster_redis_url, nodeId: v.cluster_node_id },
    acceptedWithoutEffect: [...draft.acceptedWithoutEffect.keys()].sort(),
  };
  return { config, listenerOrigins: listeners.map((listener) => listener.origin) };
}
