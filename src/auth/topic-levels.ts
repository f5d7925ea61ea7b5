/**
 * Topic filter algebra on filters split into levels once, for the ACL hot path: matching a
 * topic, intersecting two filters and asking whether one filter covers another. Every
 * operation honours the rule that a filter starting with a wildcard does not match topics
 * starting with `$` [MQTT-4.7.2-1], and that `a/#` also matches `a` (section 4.7.1.2).
 */

/** A topic name or filter split at `/`. */
export type Levels = readonly string[];

function isWildcard(level: string | undefined): boolean {
  return level === '+' || level === '#';
}

/**
 * True when one filter starts with a wildcard and the other with a `$` level: they share no
 * topic, because the wildcard side never matches `$` topics [MQTT-4.7.2-1].
 */
function dollarSplit(a: Levels, b: Levels): boolean {
  return (isWildcard(a[0]) && b[0]!.startsWith('$')) || (isWildcard(b[0]) && a[0]!.startsWith('$'));
}

/** Does the filter match the topic name? Equivalent to `topicMatches` in protocol/topic.ts. */
export function levelsMatch(filter: Levels, topic: Levels): boolean {
  if (isWildcard(filter[0]) && topic[0]!.startsWith('$')) return false;
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true;
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/**
 * The filter matching exactly the topics both filters match, or undefined when they share
 * none. (The topics two MQTT filters share always form one filter.)
 */
export function intersectFilters(a: Levels, b: Levels): Levels | undefined {
  if (dollarSplit(a, b)) return undefined;
  const shared: string[] = [];
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === '#') return shared.concat(b.slice(i));
    if (y === '#') return shared.concat(a.slice(i));
    if (x === undefined || y === undefined) return x === y ? shared : undefined;
    if (x === '+') shared.push(y);
    else if (y === '+' || y === x) shared.push(x);
    else return undefined;
  }
}

/** Does `outer` match every topic `inner` matches? */
export function filterCovers(outer: Levels, inner: Levels): boolean {
  if (isWildcard(outer[0]) && !isWildcard(inner[0]) && inner[0]!.startsWith('$')) return false;
  for (let i = 0; ; i++) {
    const o = outer[i];
    const n = inner[i];
    if (o === '#') return true;
    if (o === undefined || n === undefined) return o === n;
    // A top-level `#` matches every topic of one level or more, as `+/#` does.
    if (n === '#') return i === 0 && o === '+' && outer.length === 2 && outer[1] === '#';
    if (o !== '+' && o !== n) return false;
  }
}
