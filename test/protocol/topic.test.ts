import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  assertTopicName, hasWildcard, parseSharedFilter, topicFilterProblem, topicMatches, topicNameProblem,
} from '../../src/protocol/index.js';
import { assertRejects } from './codec-helpers.js';
import { topicFilter, topicName } from './arbitraries.js';

describe('topicMatches', () => {
  const cases: [filter: string, topic: string, matches: boolean][] = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+/c', 'a/b/c', true],
    ['+/+', '/x', true],
    ['+', 'x', true],
    ['+', '/x', false],
    ['a/#', 'a/b/c/d', true],
    ['#', 'a/b', true],
    ['#', '/', true],
    ['A/b', 'a/b', false],
  ];
  for (const [filter, topic, matches] of cases) {
    test(`${filter} ${matches ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(topicMatches(filter, topic), matches);
    });
  }

  test('sport/# also matches sport, its parent level (section 4.7.1.2)', () => {
    assert.equal(topicMatches('sport/#', 'sport'), true);
    assert.equal(topicMatches('sport/tennis/#', 'sport'), false);
  });

  test('+ matches an empty level, wherever it is (section 4.7.1.3)', () => {
    assert.equal(topicMatches('a/+', 'a/'), true);
    assert.equal(topicMatches('+/b', '/b'), true);
    assert.equal(topicMatches('a/+/c', 'a//c'), true);
    assert.equal(topicMatches('a/+', 'a'), false);
  });

  test('topics starting with $ are not matched by a leading wildcard [MQTT-4.7.2-1]', () => {
    assert.equal(topicMatches('#', '$SYS/broker/load'), false);
    assert.equal(topicMatches('+/broker/load', '$SYS/broker/load'), false);
    assert.equal(topicMatches('+', '$x'), false);
  });

  test('topics starting with $ are matched by filters that spell the $ level out', () => {
    assert.equal(topicMatches('$SYS/#', '$SYS/broker/load'), true);
    assert.equal(topicMatches('$SYS/+/load', '$SYS/broker/load'), true);
    assert.equal(topicMatches('a/$x/#', 'a/$x/y'), true);
  });

  test('a filter without wildcards matches exactly the topic it spells', () => {
    fc.assert(fc.property(topicName, topicName, (a, b) => {
      assert.equal(topicMatches(a, b), a === b);
    }), { numRuns: 300 });
  });

  test('every valid filter is valid and # matches every topic that does not start with $', () => {
    fc.assert(fc.property(topicFilter, topicName, (filter, topic) => {
      assert.equal(topicFilterProblem(filter), undefined, filter);
      if (!topic.startsWith('$')) assert.equal(topicMatches('#', topic), true);
    }), { numRuns: 300 });
  });
});

describe('topicFilterProblem', () => {
  const valid = ['a', '/', 'a//b', '+', '#', 'a/#', '+/+/#', '$SYS/#', 'a/+/c', '$share/g/a/#', '$share/g/+', '$sharex/+'];
  for (const filter of valid) {
    test(`${filter} is a valid topic filter`, () => assert.equal(topicFilterProblem(filter), undefined));
  }
  const invalid: [string, string][] = [
    ['', 'topic filter is empty'],
    ['a/#/b', "'#' must be the whole of the last level"],
    ['a#', "'#' must be the whole of the last level"],
    ['#/', "'#' must be the whole of the last level"],
    ['a+', "'+' must be the whole of its level"],
    ['a/+b/c', "'+' must be the whole of its level"],
    ['a\u0000b', 'contains U+0000'],
    ['$share/', 'needs $share/{ShareName}/{filter}'],
    ['$share/g', 'needs $share/{ShareName}/{filter}'],
    ['$share//a', 'needs $share/{ShareName}/{filter}'],
    ['$share/g/', 'empty topic filter'],
    ['$share/g+/a', 'share name contains a wildcard'],
    ['$share/#/a', 'share name contains a wildcard'],
    ['$share/g/a/#/b', "'#' must be the whole of the last level"],
    ['x'.repeat(65_536), 'longer than 65,535 bytes'],
  ];
  for (const [filter, problem] of invalid) {
    test(`${JSON.stringify(filter.slice(0, 20))} is not a valid topic filter: ${problem}`, () => {
      assert.ok(topicFilterProblem(filter)?.includes(problem), topicFilterProblem(filter));
    });
  }
  test('a filter of 65,535 bytes in 21,845 three-byte characters is still valid [MQTT-4.7.3-3]', () => {
    assert.equal(topicFilterProblem('\u20ac'.repeat(21_845)), undefined);
    assert.ok(topicFilterProblem(`${'\u20ac'.repeat(21_845)}x`));
  });
});

describe('topicNameProblem', () => {
  test('topic names may not be empty or hold wildcards, and may start with $ or be a bare /', () => {
    assert.equal(topicNameProblem('a/b'), undefined);
    assert.equal(topicNameProblem('/'), undefined);
    assert.equal(topicNameProblem('$SYS/x'), undefined);
    assert.ok(topicNameProblem('')?.includes('empty'));
    assert.ok(topicNameProblem('a/+')?.includes('wildcard'));
    assert.ok(topicNameProblem('#')?.includes('wildcard'));
  });

  test('assertTopicName answers 0x90 Topic Name invalid', () => {
    assertRejects(() => assertTopicName('a/#'), 0x90, 'wildcard');
    assert.doesNotThrow(() => assertTopicName('a/b'));
  });

  test('hasWildcard spots + and # anywhere', () => {
    assert.deepEqual(['a/b', 'a/+', '#', 'a+b'].map(hasWildcard), [false, true, true, true]);
  });
});

describe('parseSharedFilter', () => {
  test('splits $share/{ShareName}/{filter} at the first / after the share name [MQTT-4.8.2-1]', () => {
    assert.deepEqual(parseSharedFilter('$share/g1/a/+/c'), { group: 'g1', filter: 'a/+/c' });
    assert.deepEqual(parseSharedFilter('$share/g/#'), { group: 'g', filter: '#' });
  });

  test('is undefined for filters that are not shared', () => {
    for (const filter of ['a/b', '$SYS/#', '$sharex/g/a', '$share', 'share/g/a']) assert.equal(parseSharedFilter(filter), undefined, filter);
  });

  test('is undefined without a non-empty share name followed by / [MQTT-4.8.2-2]', () => {
    for (const filter of ['$share/', '$share/g', '$share//a']) assert.equal(parseSharedFilter(filter), undefined, filter);
  });

  test('does not validate the parts, so an empty filter after the share name is left to topicFilterProblem', () => {
    assert.deepEqual(parseSharedFilter('$share/g/'), { group: 'g', filter: '' });
    assert.ok(topicFilterProblem('$share/g/'));
  });
});
