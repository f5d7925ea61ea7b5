/**
 * The admin adapter: an HTTP listener with Prometheus metrics, health and
 * readiness, a JSON REST API and the web dashboard. Like every adapter it talks to
 * the broker core only (its hooks, stats and sessions) and never imports another
 * adapter: admin credentials are checked by a `verifyAdmin` callback that the
 * composition builds from the password file.
 */
export { startAdmin, type AdminServer } from './admin-server.js';
export {
  DEFAULT_ADMIN_PORT, commitFiguresOf, resolveAdminOptions,
  type AdminOptions, type ListenerInfo, type StoreCommitFigures, type VerifyAdmin,
} from './options.js';
export { TopicTree, type TopicEntry, type TopicChanges } from './topic-tree.js';
export type * from './ui/api-types.js';
