import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { LoginBackoff, handshakeLimits, type Broker, type Disposer, type Logger } from '../broker/index.js';
import { clientRoutes } from './api/clients.js';
import { clusterRoutes } from './api/cluster.js';
import { withholds, type ApiContext } from './api/context.js';
import { liveRoutes } from './api/live.js';
import { overviewRoutes } from './api/overview.js';
import { bridgeRoutes } from './api/bridges.js';
import { publishRoutes } from './api/publish.js';
import { retainedRoutes } from './api/retained.js';
import { subscriptionRoutes } from './api/subscriptions.js';
import { topicRoutes } from './api/topics.js';
import { AdminCredentials, type CredentialCheck } from './credentials.js';
import { crossSiteRequest } from './csrf.js';
import { HttpError, sendBody, sendJson } from './http.js';
import { StatsHistory } from './history.js';
import { LiveFeed } from './live-feed.js';
import { brokerMetrics, type BrokerMetrics } from './metrics.js';
import { resolveAdminOptions, type AdminOptions, type ListenerInfo } from './options.js';
import { Router } from './router.js';
import { StaticFiles } from './static-files.js';
import { TopicTree } from './topic-tree.js';

/** A running admin listener. */
export interface AdminServer {
  /** `http:<port>` (or `https:<port>`), as listeners are named in logs. */
  readonly name: string;
  /** `http` or `https`. */
  readonly protocol: string;
  readonly host: string;
  /** The port bound (useful with port 0). */
  readonly port: number;
  readonly topics: TopicTree;
  /** The figures behind the dashboard's charts. */
  readonly history: StatsHistory;
  /** The dashboard's live subscribe feeds. */
  readonly feed: LiveFeed;
  /** Stops accepting, drops keep-alive connections and unregisters from the broker's hooks. */
  close(): Promise<void>;
}

/** Everything one request is answered from. */
interface AdminHandler {
  api: ApiContext;
  scheme: 'http' | 'https';
  credentials: AdminCredentials;
  /** Failed logins make their source wait before its next one is checked. */
  backoff: LoginBackoff;
  router: Router;
  metrics: BrokerMetrics;
  files: StaticFiles;
}

/**
 * Starts the admin HTTP listener: `/healthz` and `/readyz` for orchestrators (open
 * to all), the dashboard's static files (open: they hold no data), and, for admin
 * credentials only, `/metrics` and the REST API under `/api/v1`.
 */
export async function startAdmin(broker: Broker, adminOptions: AdminOptions): Promise<AdminServer> {
  const options = resolveAdminOptions(adminOptions);
  const logger: Logger = broker.logger.child?.({ component: 'admin' }) ?? broker.logger;
  const topics = new TopicTree(options.topicTreeSize);
  // The one per-message cost of the admin listener: a map update and a copy of at most 256 bytes.
  const unhook: Disposer = options.topicTreeSize > 0 ? broker.hooks.on('messagePublished', ({ message }) => topics.record(message)) : () => {};
  const history = new StatsHistory(broker, options.history);
  const api: ApiContext = { broker, options, topics, history, feed: new LiveFeed(broker, (confidential) => withholds(api, confidential)), logger };
  const credentials = new AdminCredentials(options);
  if (!credentials.configured) logger.warn({}, 'no admin users or token configured: the admin API refuses every request');
  // Known once bound; the listeners route reads it then.
  const self: { info?: ListenerInfo } = {};
  const router = new Router();
  overviewRoutes(router, api, () => self.info);
  clientRoutes(router, api);
  retainedRoutes(router, api);
  publishRoutes(router, api);
  topicRoutes(router, api);
  subscriptionRoutes(router, api);
  clusterRoutes(router, api);
  liveRoutes(router, api);
  bridgeRoutes(router, api);
  const metrics = brokerMetrics(broker, options);
  const scheme = options.tls ? 'https' : 'http';
  const handler: AdminHandler = { api, scheme, credentials, backoff: new LoginBackoff(), router, metrics, files: new StaticFiles(options.uiDir) };
  const listener: RequestListener = (req, res) => {
    handle(handler, req, res).catch((err: unknown) => answerError(res, err, logger));
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...handshakeLimits(broker.options.limits) }, listener)
    : createServer(handshakeLimits(broker.options.limits), listener);
  // Node leaves the socket of a failed or timed-out TLS handshake open: close it.
  server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
  try {
    await listen(server, options.port, options.host);
  } catch (err) {
    unhook();
    metrics.close();
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw Object.assign(new Error(`admin listener: cannot listen on ${options.host}:${options.port}: ${code}`), { code });
  }
  history.sample();
  history.start();
  const address = server.address() as AddressInfo;
  self.info = { name: `${scheme}:${address.port}`, protocol: scheme, host: address.address, port: address.port };
  let closing: Promise<void> | undefined;
  return {
    name: self.info.name, protocol: scheme, host: address.address, port: address.port, topics, history, feed: api.feed,
    close() {
      closing ??= new Promise<void>((resolve) => {
        unhook();
        metrics.close();
        history.stop();
        api.feed.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // `*`: every interface, IPv6 too where the system has it.
    server.listen(port, host === '*' ? undefined : host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function handle(h: AdminHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin.invalid');
  // HEAD is answered wherever GET is, with GET's headers: Node sends no body for it.
  const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
  if (url.pathname === '/healthz' && method === 'GET') return sendJson(res, 200, { status: 'ok' });
  if (url.pathname === '/readyz' && method === 'GET') {
    const readiness = h.api.broker.readiness;
    return sendJson(res, readiness.ready ? 200 : 503, { ready: readiness.ready, notReadyBecause: readiness.reasons });
  }
  if (method === 'GET' && (await h.files.serve(url.pathname, res))) return;
  const crossSite = crossSiteRequest(req, h.scheme);
  if (crossSite) {
    h.api.logger.warn({ method, path: url.pathname, remoteAddress: req.socket.remoteAddress, reason: crossSite }, 'admin request from another site refused');
    return sendJson(res, 403, { error: 'state-changing requests must come from the dashboard\'s own origin' });
  }
  const check = await checkCredentials(h, req, res);
  if (check === 'wait') return;
  if (check.outcome === 'not-admin') return refuseNotAdmin(h, req, res, check.user);
  if (check.outcome !== 'admin') return refuse(req, res);
  const { identity } = check;
  if (url.pathname === '/metrics' && method === 'GET') {
    return sendBody(res, 200, h.metrics.registry.contentType, await h.metrics.registry.metrics());
  }
  const match = h.router.match(method, url.pathname);
  if (match.kind === 'not-found') throw new HttpError(404, 'not found');
  if (match.kind === 'method-not-allowed') {
    return sendJson(res, 405, { error: `use ${match.allow.join(' or ')}` }, { allow: match.allow.join(', ') });
  }
  await match.handler({ req, res, url, params: match.params, identity });
}

/**
 * What the request's credentials prove, or `wait` when its source failed too often
 * lately (answered here: 429 with Retry-After, nothing checked). Only a request that
 * carries credentials and fails them counts as a failure.
 */
async function checkCredentials(h: AdminHandler, req: IncomingMessage, res: ServerResponse): Promise<CredentialCheck | 'wait'> {
  const header = req.headers.authorization;
  if (!header) return h.credentials.check(undefined);
  const source = req.socket.remoteAddress ?? 'unknown';
  const refusal = h.backoff.begin(source);
  if (refusal) {
    h.api.logger.warn({ remoteAddress: source, reason: refusal.reason }, 'admin login refused without a check');
    sendJson(res, 429, { error: refusal.reason }, { 'retry-after': String(refusal.retryAfter) });
    return 'wait';
  }
  let check: CredentialCheck | undefined;
  try {
    check = await h.credentials.check(header);
    return check;
  } finally {
    h.backoff.settle(source, check?.outcome !== 'admin' && check?.outcome !== 'not-admin');
  }
}

/**
 * 401 with no data. Browsers would pop up their own login box on a Basic challenge,
 * so the dashboard (which sends `X-Requested-With`) gets none and shows its own form.
 */
function refuse(req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = req.headers['x-requested-with'] ? {} : { 'www-authenticate': 'Basic realm="midge admin", charset="UTF-8"' };
  sendJson(res, 401, { error: 'unauthorized' }, headers);
}

/** 403 for a user whose password is right but who is not one of `admin_user`. */
function refuseNotAdmin(h: AdminHandler, req: IncomingMessage, res: ServerResponse, user: string): void {
  h.api.logger.warn({ username: user, remoteAddress: req.socket.remoteAddress, reason: 'not an admin user' },
    'admin request refused: the user is not named by admin_user');
  sendJson(res, 403, { error: 'not an admin user' });
}

function answerError(res: ServerResponse, err: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    // The request body may not have been read: do not keep a connection with unread bytes.
    if (err.status === 413) res.setHeader('connection', 'close');
    sendJson(res, err.status, { error: err.message });
    return;
  }
  logger.error({ err: err instanceof Error ? err : new Error(String(err)) }, 'admin request failed');
  sendJson(res, 500, { error: 'internal error' });
}
