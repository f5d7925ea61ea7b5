import { ReasonCode, type QoS } from '../protocol/index.js';
import type { Publisher, PublishRights } from './admission.js';
import { LoginBackoff, type Decision } from './login-backoff.js';
import type { BrokerOptions } from './options.js';
import type { AuthenticationResult, Authenticator, ClientPrincipal, ConnectCredentials } from './ports/auth.js';
import type { Logger } from './ports/logger.js';
import type { SessionLink } from './ports/session-link.js';
import type { ConnectionInfo } from './ports/transport.js';
import { isThenable } from './thenable.js';

/**
 * Who may connect and what they may do: the authenticator and authorizer chains of the
 * broker, or of the listener a client came through (`per_listener_settings`). Every way in
 * (MQTT, MQTT-SN, routing at delivery) asks here; a chain is first-deny-wins.
 */
export class AccessControl implements PublishRights {
  /** Per source address: failed logins make that source wait (see {@link authenticate}). */
  readonly loginBackoff: LoginBackoff;

  constructor(
    private readonly options: Pick<BrokerOptions, 'authenticators' | 'authorizers' | 'loginBackoff'>,
    private readonly logger: Logger,
  ) {
    this.loginBackoff = new LoginBackoff(options.loginBackoff);
  }

  /**
   * Authenticates a CONNECT, unless its source address failed too often lately or has
   * too many checks pending ({@link LoginBackoff}): then it is refused at once with
   * 0x89 Server busy, at no cost to anyone else.
   */
  authenticate(credentials: ConnectCredentials, info: ConnectionInfo): Decision {
    const chain = info.security?.authenticators ?? this.options.authenticators;
    return this.loginBackoff.guard(info.remoteAddress, () => runChain(chain, credentials, 0, undefined));
  }

  /**
   * Clients never publish to `$SYS` (section 4.7.2), but for the state of their own
   * connection, `$SYS/broker/connection/CLIENTID/state`: what a bridge (mosquitto's or
   * midge's) publishes and sets as its will on the remote. Then the authorizer chain decides.
   */
  canPublish(principal: ClientPrincipal, topic: string, qos: QoS, retain: boolean, info: ConnectionInfo): boolean {
    if (topic.startsWith('$SYS') && topic !== `$SYS/broker/connection/${principal.clientId}/state`) return false;
    const chain = info.security?.authorizers ?? this.options.authorizers;
    for (const a of chain) if (!a.canPublish(principal, topic, qos, retain)) return false;
    return true;
  }

  canSubscribe(principal: ClientPrincipal, filter: string, qos: QoS, info: ConnectionInfo): boolean {
    const chain = info.security?.authorizers ?? this.options.authorizers;
    for (const a of chain) if (!a.canSubscribe(principal, filter, qos)) return false;
    return true;
  }

  /** Delivery check per message per subscriber (hot path: no allocation when no authorizers). */
  canReceive(link: SessionLink, topic: string): boolean {
    const chain = link.security?.authorizers ?? this.options.authorizers;
    for (let i = 0; i < chain.length; i++) if (!chain[i]!.canReceive(link.principal, topic)) return false;
    return true;
  }

  /**
   * The version of the read rules that apply on `link`: the sum of its authorizers'
   * versions (each only grows, so any reload changes the sum), or undefined when one
   * of them has none and its answers may change at any time.
   */
  readVersion(link: SessionLink): number | undefined {
    const chain = link.security?.authorizers ?? this.options.authorizers;
    let version = 0;
    for (let i = 0; i < chain.length; i++) {
      const v = chain[i]!.version;
      if (v === undefined) return undefined;
      version += v;
    }
    return version;
  }

  /**
   * The read check when a routed message is transmitted later (queued, in flight):
   * the decision routing made stands when it was made for the principal now on `link`
   * under the rules' current version; else, after a takeover, a re-authentication or
   * a reload, the authorizers are asked again (issue 20).
   */
  canStillReceive(link: SessionLink, topic: string, checkedFor: ClientPrincipal | undefined, checkedVersion: number | undefined): boolean {
    if (checkedFor === link.principal && checkedVersion !== undefined && checkedVersion === this.readVersion(link)) return true;
    return this.canReceive(link, topic);
  }

  /** PublishRights: the publish check admission makes, with its log line when refused. */
  mayPublish(publisher: Publisher, topic: string, qos: QoS, retain: boolean): boolean {
    if (this.canPublish(publisher.principal, topic, qos, retain, publisher.info)) return true;
    this.logDenied(publisher.principal, 'publish', topic);
    return false;
  }

  /** Logs a refused publish or subscribe. */
  logDenied(principal: ClientPrincipal, action: 'publish' | 'subscribe', topic: string): void {
    this.logger.info({ clientId: principal.clientId, username: principal.username, listener: principal.listener, action, topic }, 'not authorized');
  }
}

/**
 * Runs an authenticator chain from `from` on: first deny wins; with none configured everyone
 * is admitted. Synchronous while the authenticators answer synchronously (the common case:
 * an anonymous policy, a cached password), so that most CONNECTs make no promise (issue 19).
 */
function runChain(chain: readonly Authenticator[], credentials: ConnectCredentials, from: number, allowedSoFar: AuthenticationResult | undefined): Decision {
  let allowed = allowedSoFar;
  for (let i = from; i < chain.length; i++) {
    const result = chain[i]!.authenticate(credentials);
    if (isThenable(result)) return continueChain(chain, credentials, i, result, allowed);
    if (result.outcome === 'deny') return result;
    if (result.outcome === 'allow' && !allowed) allowed = result;
  }
  if (allowed) return allowed;
  if (chain.length === 0) return { outcome: 'allow' };
  return { outcome: 'deny', reasonCode: ReasonCode.NotAuthorized, reason: 'no authenticator admitted the client' };
}

/** The rest of the chain once authenticator `i` answers asynchronously. */
async function continueChain(
  chain: readonly Authenticator[], credentials: ConnectCredentials, i: number,
  pending: PromiseLike<AuthenticationResult>, allowedSoFar: AuthenticationResult | undefined,
): Promise<AuthenticationResult> {
  const result = await pending;
  if (result.outcome === 'deny') return result;
  return runChain(chain, credentials, i + 1, result.outcome === 'allow' && !allowedSoFar ? result : allowedSoFar);
}
