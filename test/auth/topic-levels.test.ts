import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { topicMatches } from '../../src/protocol/index.js';
import { filterCovers, intersectFilters, levelsMatch, type Levels } from '../../src/auth/topic-levels.js';

// Small alphabets so that random filters often overlap; `c` and `$x` appear only in topics
// and first levels, to tell `+` from a literal and to exercise the `$` rule.
const filterLevel = fc.constantFrom('a', 'b', '', '+');
const filterArb: fc.Arbitrary<Levels> = fc
  .tuple(fc.constantFrom('a', 'b', '', '+', '$x', '#'), fc.array(filterLevel, { maxLength: 2 }), fc.boolean())
  .map(([first, rest, hash]) => (first === '#' ? ['#'] : [first, ...rest, ...(hash ? ['#'] : [])]));

/** Every topic of up to 5 levels over the alphabet: enough to witness any difference between the filters above. */
const universe: Levels[] = (() => {
  const topics: Levels[] = [];
  const extend = (prefix: string[]): void => {
    if (prefix.length > 0) topics.push(prefix);
    if (prefix.length === 5) return;
    for (const level of prefix.length === 0 ? ['a', 'b', 'c', '', '$x'] : ['a', 'b', 'c', '']) extend([...prefix, level]);
  };
  extend([]);
  return topics;
})();

const runs = { numRuns: 300 };

describe('topic filter algebra', () => {
  it('matches exactly as the protocol reference matcher does', () => {
    fc.assert(
      fc.property(filterArb, fc.constantFrom(...universe), (filter, topic) =>
        levelsMatch(filter, topic) === topicMatches(filter.join('/'), topic.join('/'))),
      { numRuns: 2000 },
    );
  });

  it('intersects two filters into one matching exactly the topics both match', () => {
    fc.assert(
      fc.property(filterArb, filterArb, (a, b) => {
        const both = intersectFilters(a, b);
        for (const topic of universe) {
          const expected = levelsMatch(a, topic) && levelsMatch(b, topic);
          const actual = both !== undefined && levelsMatch(both, topic);
          if (expected !== actual) return false;
        }
        return true;
      }),
      runs,
    );
  });

  it('says a filter covers another exactly when it matches every topic the other matches', () => {
    fc.assert(
      fc.property(filterArb, filterArb, (outer, inner) => {
        const expected = universe.every((topic) => !levelsMatch(inner, topic) || levelsMatch(outer, topic));
        return filterCovers(outer, inner) === expected;
      }),
      runs,
    );
  });

  const examples: Array<[string, string, string | undefined]> = [
    ['a/+', '+/b', 'a/b'],
    ['a/#', 'a', 'a'],
    ['#', '$SYS/#', undefined],
    ['$SYS/#', '$SYS/broker/+', '$SYS/broker/+'],
    ['a/b', 'a/c', undefined],
  ];
  for (const [a, b, expected] of examples) {
    it(`intersects ${a} and ${b} into ${expected ?? 'nothing'}`, () => {
      assert.equal(intersectFilters(a.split('/'), b.split('/'))?.join('/'), expected);
    });
  }
});
