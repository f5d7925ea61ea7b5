/**
 * The ACL rules that apply to one client, compiled from an {@link AclDefinition}, and the
 * decisions taken on them. Deny always wins: a topic matched by any applicable `deny` line
 * (of the client's section or of a pattern) is refused whatever grants it elsewhere.
 */
import { topicFilterProblem } from '../protocol/index.js';
import type { AclDefinition, AclRule } from './acl-file.js';
import { filterCovers, intersectFilters, levelsMatch, type Levels } from './topic-levels.js';

/** The rules of one client (or of every client that shares its user name and, when patterns use `%c`, its client id). */
export interface CompiledRules {
  /** Set when a deny pattern could not be applied safely: everything is refused. */
  denyAll: boolean;
  denies: Levels[];
  reads: Levels[];
  writes: Levels[];
}

/** Which access a decision is about. */
export type AccessKind = 'read' | 'write';

/**
 * Whether a client id or user name may be put into a pattern. A value containing `+`, `#` or
 * `/` would widen the filter (a client called `#` would get `devices/#`, one called `a/b`
 * would reach into another device's tree), and an empty value makes an empty level.
 */
function substitutable(value: string): boolean {
  return value.length > 0 && !/[+#/]/.test(value);
}

type Substitution = { filter: string } | 'not-applicable' | 'unsafe';

/**
 * Mosquitto's `%c`/`%u` substitution, made safe. Patterns with `%u` do not apply to clients
 * without a user name (as in Mosquitto). An unsafe value makes the pattern `unsafe`; so does a
 * result that starts with `$` when the pattern did not, such as `%c/#` for client `$SYS`.
 */
function substitute(pattern: string, clientId: string, username: string | undefined): Substitution {
  const usesClientId = pattern.includes('%c');
  const usesUsername = pattern.includes('%u');
  if (usesUsername && username === undefined) return 'not-applicable';
  if (usesClientId && !substitutable(clientId)) return 'unsafe';
  if (usesUsername && !substitutable(username as string)) return 'unsafe';
  const filter = pattern.replace(/%[cu]/g, (placeholder) => (placeholder === '%c' ? clientId : (username as string)));
  if (filter.startsWith('$') && !pattern.startsWith('$')) return 'unsafe';
  if (topicFilterProblem(filter)) return 'unsafe';
  return { filter };
}

function addRule(rules: CompiledRules, access: AclRule['access'], filter: string): void {
  const levels = filter.split('/');
  if (access === 'deny') rules.denies.push(levels);
  if (access === 'read' || access === 'readwrite') rules.reads.push(levels);
  if (access === 'write' || access === 'readwrite') rules.writes.push(levels);
}

/**
 * The rules for a client: its user section (the anonymous section when it has no user name;
 * nothing when its user has no section) plus every pattern. A deny pattern that cannot be
 * substituted safely denies everything (failing closed); a grant pattern that cannot be
 * substituted safely grants nothing.
 */
export function compileRules(acl: AclDefinition, clientId: string, username: string | undefined): CompiledRules {
  const rules: CompiledRules = { denyAll: false, denies: [], reads: [], writes: [] };
  const section = username === undefined ? acl.anonymous : acl.users.get(username) ?? [];
  for (const rule of section) addRule(rules, rule.access, rule.filter);
  for (const pattern of acl.patterns) {
    const result = substitute(pattern.filter, clientId, username);
    if (result === 'not-applicable') continue;
    if (result === 'unsafe') {
      if (pattern.access === 'deny') rules.denyAll = true;
      continue;
    }
    addRule(rules, pattern.access, result.filter);
  }
  return rules;
}

/** True when some pattern of the ACL mentions `%c`, so that rules depend on the client id. */
export function usesClientId(acl: AclDefinition): boolean {
  return acl.patterns.some((pattern) => pattern.filter.includes('%c'));
}

/** May the client read (receive) or write (publish) this topic name? */
export function decideTopic(rules: CompiledRules, topic: Levels, access: AccessKind): boolean {
  if (rules.denyAll) return false;
  for (const deny of rules.denies) if (levelsMatch(deny, topic)) return false;
  const grants = access === 'read' ? rules.reads : rules.writes;
  for (const grant of grants) if (levelsMatch(grant, topic)) return true;
  return false;
}

/**
 * May the client subscribe to this filter? Granted when some topic the filter matches is
 * readable: a read grant overlaps the filter and no single deny covers the overlap. Delivery
 * is still checked per message, so this only spares clients subscriptions that can never
 * deliver anything (it may grant one whose overlap a union of several denies covers).
 */
export function decideSubscription(rules: CompiledRules, filter: Levels): boolean {
  if (rules.denyAll) return false;
  for (const grant of rules.reads) {
    const overlap = intersectFilters(grant, filter);
    if (overlap && !rules.denies.some((deny) => filterCovers(deny, overlap))) return true;
  }
  return false;
}
