/**
 * The topic lines of a bridge as mosquitto.conf(5) applies them, and the restart pace.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TopicMap, type BridgeTopic } from '../../src/bridge/index.js';
import { AddressRotation, RestartSchedule } from '../../src/bridge/schedule.js';

const line = (pattern: string, direction: BridgeTopic['direction'], qos: 0 | 1 | 2, localPrefix = '', remotePrefix = ''): BridgeTopic =>
  ({ pattern, direction, qos, localPrefix, remotePrefix });

describe('bridge topic lines', () => {
  test('subscribe locally to LOCAL_PREFIX + PATTERN for out lines and on the remote to REMOTE_PREFIX + PATTERN for in lines', () => {
    const map = new TopicMap([
      line('sensors/#', 'out', 1, '', 'site1/'), line('commands/#', 'in', 2, '', 'site1/'), line('#', 'both', 2, 'local/', 'remote/'),
      line('sensors/#', 'out', 2, '', 'site1/'), line('', 'out', 1, 'status/edge', 'status/site1'), line('a/#', 'out', 0),
    ]);
    assert.deepEqual(map.localSubscriptions, [
      { filter: 'sensors/#', qos: 2 }, { filter: 'local/#', qos: 2 }, { filter: 'status/edge', qos: 1 }, { filter: 'a/#', qos: 0 },
    ], 'one subscription per filter, at the highest QoS asked');
    assert.deepEqual(map.remoteSubscriptions, [{ filter: 'site1/commands/#', qos: 2 }, { filter: 'remote/#', qos: 2 }]);
    assert.deepEqual(map.outOnlyRemoteFilters, ['site1/sensors/#', 'status/site1', 'a/#']);
  });

  test('map topics by the first matching line, prefixes replaced, an empty pattern naming one topic', () => {
    const map = new TopicMap([
      line('sensors/#', 'out', 1, '', 'site1/'), line('commands/#', 'in', 1, 'cmd/', 'site1/commands/'), line('#', 'both', 0, 'local/', 'remote/'),
      line('', 'both', 1, 'status/edge', 'status/site1'), line('x/#', 'in', 0),
    ]);
    assert.equal(map.toRemote('sensors/boiler/t'), 'site1/sensors/boiler/t');
    assert.equal(map.toRemote('local/a/b'), 'remote/a/b');
    assert.equal(map.toRemote('status/edge'), 'status/site1');
    assert.equal(map.toRemote('commands/x'), undefined, 'no out line covers it');
    assert.equal(map.toLocal('site1/commands/commands/valve'), 'cmd/commands/valve');
    assert.equal(map.toLocal('remote/a/b'), 'local/a/b');
    assert.equal(map.toLocal('status/site1'), 'status/edge');
    assert.equal(map.toLocal('x/y'), 'x/y', 'a line without prefixes leaves the topic as it is');
  });

  test('a topic sent out over a both line comes back in as the same topic', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), segment, segment, (levels, local, remote) => {
      const map = new TopicMap([line('#', 'both', 1, `${local}/`, `${remote}/`)]);
      const topic = `${local}/${levels.join('/')}`;
      const out = map.toRemote(topic);
      assert.equal(out, `${remote}/${levels.join('/')}`);
      assert.equal(map.toLocal(out!), topic);
    }));
  });
});

describe('restart pace and addresses', () => {
  test('restart_timeout N waits N seconds every time; BASE CAP waits between the base and the cap, growing, back to the base after a success', () => {
    const constant = new RestartSchedule({ kind: 'constant', seconds: 7 });
    assert.deepEqual([constant.nextDelayMs(), constant.nextDelayMs()], [7000, 7000]);
    const backoff = new RestartSchedule({ kind: 'backoff', baseSeconds: 5, capSeconds: 30 }, () => 1);
    assert.deepEqual([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()], [15000, 30000, 30000]);
    backoff.reset();
    assert.equal(backoff.nextDelayMs(), 15000);
    const low = new RestartSchedule({ kind: 'backoff', baseSeconds: 5, capSeconds: 30 }, () => 0);
    assert.equal(low.nextDelayMs(), 5000, 'never below the base');
  });

  test('without round_robin the main address is watched while on another; with it, none is', () => {
    const rotation = new AddressRotation(['a', 'b', 'c'], false);
    assert.deepEqual([rotation.current, rotation.primaryToCheck], ['a', undefined]);
    rotation.failed();
    assert.deepEqual([rotation.current, rotation.primaryToCheck], ['b', 'a']);
    rotation.failed();
    rotation.failed();
    assert.equal(rotation.current, 'a', 'it wraps round');
    const robin = new AddressRotation(['a', 'b'], true);
    robin.failed();
    assert.deepEqual([robin.current, robin.primaryToCheck], ['b', undefined]);
  });
});
