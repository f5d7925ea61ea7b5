import { formatOrigin, type Origin } from './errors.js';
import { ACCEPTED_WITHOUT_EFFECT } from './mosquitto-compat.js';
import { configProvenance } from './provenance.js';
import { isLoopbackAddress } from './resolve.js';
import type { ListenerConfig, MidgeConfig } from './types.js';
import { describeListener } from './validate.js';

/** Listeners clients publish through (the admin API's http listener is not one). */
const PUBLISHING_PROTOCOLS: ReadonlySet<string> = new Set(['mqtt', 'websockets', 'mqttsn']);

/** An admin token shorter than this is guessable enough to mention. */
const SHORT_TOKEN = 16;

function at(origin: Origin | undefined): string {
  return origin ? `${formatOrigin(origin)}: ` : '';
}

function listenerWarnings(listener: ListenerConfig, origin: Origin | undefined, config: MidgeConfig): string[] {
  const warnings: string[] = [];
  const label = `${at(origin)}${describeListener(listener)}`;
  if (PUBLISHING_PROTOCOLS.has(listener.protocol) && listener.security.allowAnonymous && !isLoopbackAddress(listener.address)) {
    const reach = listener.address === undefined ? 'every interface' : listener.address;
    warnings.push(`${label} lets anonymous clients connect from ${reach}`);
  }
  if (listener.confidential && !listener.encrypted) {
    warnings.push(`${label} treats everything published on it as confidential, but it is not encrypted`);
  }
  const tls = listener.tls;
  if (tls && (tls.useIdentityAsUsername || tls.useSubjectAsUsername) && !tls.requireCertificate) {
    warnings.push(`${label} takes usernames from client certificates but does not set require_certificate true`);
  }
  if (listener.protocol === 'http' && !listener.encrypted && !isLoopbackAddress(listener.address) && config.auth.adminToken !== undefined) {
    warnings.push(`${label} serves the admin API unencrypted beyond loopback: the admin token travels in clear`);
  }
  return warnings;
}

/**
 * Issue 10: a confidential topic can be published over a listener that is not encrypted,
 * so the data it protects crosses the network in clear on the way in.
 */
function confidentialTopicWarning(config: MidgeConfig, origin: Origin | undefined): string | undefined {
  if (config.confidentialTopics.length === 0) return undefined;
  const plain = config.listeners.filter((l) => PUBLISHING_PROTOCOLS.has(l.protocol) && !l.encrypted);
  if (plain.length === 0) return undefined;
  return `${at(origin)}confidential topics (${config.confidentialTopics.join(' ')}) can be published over unencrypted ${plain.map(describeListener).join(', ')}`;
}

function authWarnings(config: MidgeConfig, settings: ReadonlyMap<string, Origin> | undefined): string[] {
  const warnings: string[] = [];
  const { auth } = config;
  const hasPasswordFile = auth.passwordFile !== undefined || config.listeners.some((l) => l.security.passwordFile !== undefined);
  if (auth.adminUsers.length > 0 && !hasPasswordFile) {
    warnings.push(`${at(settings?.get('admin_user'))}admin_user names users, but no password_file is set to authenticate them`);
  }
  if (auth.adminToken !== undefined && auth.adminToken.length < SHORT_TOKEN) {
    warnings.push(`${at(settings?.get('admin_token'))}admin_token is shorter than ${SHORT_TOKEN} characters`);
  }
  return warnings;
}

/**
 * Things the configuration allows but a reader should hear about: anonymous access beyond
 * loopback, confidential data over unencrypted listeners, mosquitto options that do nothing
 * here, unknown `MIDGE_` variables. Each names its file and line when the config came from
 * `loadConfig` (a copy loses the locations, not the warnings).
 */
export function configWarnings(config: MidgeConfig): string[] {
  const provenance = configProvenance(config);
  const settings = provenance?.settings;
  const warnings = config.listeners.flatMap((listener, index) => listenerWarnings(listener, provenance?.listeners[index], config));
  const confidential = confidentialTopicWarning(config, settings?.get('confidential_topics'));
  if (confidential) warnings.push(confidential);
  warnings.push(...authWarnings(config, settings));
  for (const bridge of config.bridges) {
    if (bridge.tls?.insecure) warnings.push(`bridge ${bridge.name} does not check that the remote certificate names the host it dials (bridge_insecure true)`);
  }
  for (const key of config.acceptedWithoutEffect) {
    const why = ACCEPTED_WITHOUT_EFFECT.get(key)?.why ?? 'midge does not use it';
    warnings.push(`${at(provenance?.acceptedWithoutEffect.get(key))}${key} has no effect: ${why}`);
  }
  warnings.push(...(provenance?.notices ?? []));
  return warnings;
}
