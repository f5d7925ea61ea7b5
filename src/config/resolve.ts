import type { BrokerLimits } from '../broker/options.js';
import { resolveBridges } from './bridge-resolve.js';
import { applyConfidentialDefault } from './confidential-default.js';
import type { Draft, DraftListener, SettingBag } from './draft.js';
import type { Origin } from './errors.js';
import type { DefaultContext, Section } from './option-spec.js';
import { optionsOf } from './options.js';
import {
  DEFAULT_MQTT_PORT, DEFAULT_MQTTSN_PORT, LOCAL_ONLY_ADDRESS,
  type ConfigSection, type LimitSettings, type ListenerConfig, type MidgeConfig, type SecuritySettings, type TlsSettings,
} from './types.js';

/**
 * The fields of one section from what a bag holds: each option's value as read, else its
 * default. This is where every option gets its default, from the option table.
 */
export function sectionValues<S extends Section>(section: S, bag: SettingBag, context: DefaultContext): ConfigSection<S> {
  const fields: Record<string, unknown> = {};
  const read = bag.values as Record<string, unknown>;
  for (const option of optionsOf(section)) {
    const value = read[option.name];
    fields[option.field] = value === undefined ? option.defaultValue(context) : option.settle(value);
  }
  // The table gives each field of the section exactly its type (types.ts derives them from it).
  return fields as ConfigSection<S>;
}

/**
 * The limits of a configuration that sets none: the broker core's own defaults, so that
 * embedding and configuring give one and the same broker.
 */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = sectionValues('limits', { values: {}, origins: {} }, { cwd: '.', localOnly: false });

/**
 * The broker core's limits a configuration sets: the `limits` fields of the options the
 * table marks as the core's (`brokerLimit`), handed over as they are, since the values were
 * already put in the core's terms when read.
 */
export function brokerLimitsOf(limits: LimitSettings): Partial<BrokerLimits> {
  const values = limits as Record<string, unknown>;
  const core: Record<string, unknown> = {};
  for (const option of optionsOf('limits')) if (option.brokerLimit) core[option.field] = values[option.field];
  // `brokerLimit` options are typed by the BrokerLimits field they name (options-broker.ts).
  return core as Partial<BrokerLimits>;
}

/** Loopback addresses: a listener bound to one is reachable from this machine only. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || /^::ffff:127\./i.test(address);
}

/** What is needed to turn draft listeners into listeners. */
interface ListenerDefaults {
  context: DefaultContext;
  perListenerSettings: boolean;
  limits: LimitSettings;
  globalSecurity: SecuritySettings;
}

function tlsOf(bag: SettingBag, context: DefaultContext): TlsSettings | undefined {
  const values = bag.values;
  if (values.certfile === undefined || values.keyfile === undefined) return undefined;
  return sectionValues('tls', bag, context);
}

function resolveListener(listener: DraftListener, defaults: ListenerDefaults): ListenerConfig {
  const { context } = defaults;
  const own = sectionValues('listener', listener.bag, context);
  const tls = tlsOf(listener.bag, context);
  return {
    port: listener.port ?? (own.protocol === 'mqttsn' ? DEFAULT_MQTTSN_PORT : DEFAULT_MQTT_PORT),
    address: listener.address ?? (listener.isDefault && context.localOnly ? LOCAL_ONLY_ADDRESS : undefined),
    ...own,
    encrypted: tls !== undefined,
    tls,
    maxConnections: listener.bag.values.max_connections ?? defaults.limits.maxConnections,
    security: defaults.perListenerSettings ? sectionValues('security', listener.bag, context) : { ...defaults.globalSecurity },
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
  const context: DefaultContext = { cwd, localOnly };
  const global = draft.global;
  const globalSecurity = sectionValues('security', global, context);
  const limits = sectionValues('limits', global, context);
  const defaults: ListenerDefaults = { context, perListenerSettings: draft.perListenerSettings, limits, globalSecurity };
  const listeners = openedListeners(draft);
  const resolvedListeners = listeners.map((listener) => resolveListener(listener, defaults));
  applyConfidentialDefault(listeners, resolvedListeners, draft.notices);
  const config: MidgeConfig = {
    listeners: resolvedListeners,
    auth: { perListenerSettings: draft.perListenerSettings, ...globalSecurity, ...sectionValues('auth', global, context) },
    limits,
    persistence: sectionValues('persistence', global, context),
    operations: sectionValues('operations', global, context),
    mqttsn: sectionValues('mqttsn', global, context),
    ...sectionValues('root', global, context),
    cluster: global.values.cluster_redis_url === undefined ? undefined : sectionValues('cluster', global, context),
    bridges: resolveBridges(draft.bridges, context, global.values.cluster_redis_url !== undefined),
    acceptedWithoutEffect: [...draft.acceptedWithoutEffect.keys()].sort(),
  };
  return { config, listenerOrigins: listeners.map((listener) => listener.origin) };
}
