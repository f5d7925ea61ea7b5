/**
 * Unit tests of the publish admission (src/broker/admission.ts): the verdict every way in
 * asks for (MQTT, MQTT-SN, the admin API), and "acknowledge when safe".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AcknowledgementGate, BrokerStats, PublishAdmission, createMessage, resolveBrokerOptions,
  type BrokerLimits, type ClusterBus, type Publisher, type Store,
} from '../../src/broker/index.js';

const publisher: Publisher = {
  principal: { clientId: 'p', username: undefined, listener: 'test' },
  info: { listener: 'test', transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1, encrypted: false, confidential: false, certificate: undefined, security: undefined },
};

function admission(limits: Partial<BrokerLimits> = {}, extra: { retainAvailable?: boolean; cluster?: ClusterBus; mayPublish?: boolean } = {}) {
  const stats = new BrokerStats();
  const options = resolveBrokerOptions({ limits, retainAvailable: extra.retainAvailable ?? true, cluster: extra.cluster });
  const denied: string[] = [];
  const admit = new PublishAdmission(options, stats, {
    mayPublish: (_p, topic) => {
      if (extra.mayPublish ?? true) return true;
      denied.push(topic);
      return false;
    },
  });
  return { admit, stats, denied };
}

/** A cluster stand-in: reachable or not, and what routing settles to. */
function cluster(available: boolean, settled?: () => Promise<boolean> | undefined): ClusterBus {
  return { available, settled: () => settled?.() } as unknown as ClusterBus;
}

/** A store stand-in whose commit resolves when the test says so. */
function store(): Store & { pending: boolean; finish(): void } {
  let done!: () => void;
  const fake = {
    pending: true,
    commit: () => new Promise<void>((resolve) => { done = resolve; }),
    finish: () => { fake.pending = false; done(); },
  };
  return fake as unknown as Store & { pending: boolean; finish(): void };
}

const payload = (size: number): Buffer => Buffer.alloc(size, 0x61);

describe('the verdict on a publish', () => {
  it('accepts what the broker supports from a publisher who may publish', () => {
    const { admit } = admission();
    assert.equal(admit.supported('a/b', 2, true).accepted, true);
    assert.equal(admit.admit('a/b', 2, true, payload(10), false, publisher).accepted, true);
  });

  it('refuses, by name, a QoS above max_qos, RETAIN when retained messages are off, and a topic deeper than max_topic_levels', () => {
    const { admit } = admission({ maxQos: 1, maxTopicLevels: 3 }, { retainAvailable: false });
    const refusal = (topic: string, qos: 0 | 1 | 2, retain: boolean) => {
      const verdict = admit.supported(topic, qos, retain);
      return verdict.accepted ? 'accepted' : verdict.refusal;
    };
    assert.equal(refusal('a', 2, false), 'qos-not-supported');
    assert.equal(refusal('a', 1, true), 'retain-not-supported');
    assert.equal(refusal('a/b/c/d', 1, false), 'topic-too-deep');
    assert.equal(refusal('a/b/c', 1, false), 'accepted');
  });

  it('refuses and counts a payload over message_size_limit, and has no limit by default', () => {
    const limited = admission({ maxPayloadSize: 100 });
    const verdict = limited.admit.admit('a', 1, false, payload(101), false, publisher);
    assert.equal(verdict.accepted ? 'accepted' : verdict.refusal, 'payload-too-large');
    assert.equal(limited.stats.droppedByReason.get('payload-too-large'), 1);
    assert.equal(limited.admit.admit('a', 1, false, payload(100), false, publisher).accepted, true);
    assert.equal(admission().admit.admit('a', 1, false, payload(1 << 20), false, publisher).accepted, true);
  });

  it('refuses a payload declared UTF-8 that is not (section 3.3.2.3.2)', () => {
    const { admit } = admission();
    const bad = Buffer.from([0xff, 0xfe]);
    const verdict = admit.admit('a', 1, false, bad, true, publisher);
    assert.equal(verdict.accepted ? 'accepted' : verdict.refusal, 'payload-not-utf8');
    assert.equal(admit.admit('a', 1, false, bad, false, publisher).accepted, true, 'without the indicator any bytes go');
  });

  it("asks the publisher's rights, and none for the broker's own publish", () => {
    const { admit, denied } = admission({}, { mayPublish: false });
    const verdict = admit.admit('secret', 0, false, payload(1), false, publisher);
    assert.equal(verdict.accepted ? 'accepted' : verdict.refusal, 'not-authorized');
    assert.deepEqual(denied, ['secret']);
    assert.equal(admit.admit('secret', 0, false, payload(1), false, undefined).accepted, true);
  });

  it('refuses QoS 1 and 2 while the cluster cannot be reached, and lets QoS 0 through', () => {
    const { admit } = admission({}, { cluster: cluster(false) });
    for (const qos of [1, 2] as const) {
      const verdict = admit.admit('a', qos, false, payload(1), false, publisher);
      assert.equal(verdict.accepted ? 'accepted' : verdict.refusal, 'cluster-unavailable');
    }
    assert.equal(admit.admit('a', 0, false, payload(1), false, publisher).accepted, true);
  });
});

describe('acknowledge when safe', () => {
  const message = createMessage({ topic: 'a', payload: payload(1), qos: 1, retain: false, properties: undefined, createdAt: 0, expiresAt: undefined, origin: 'p' });
  const failed = (err: unknown) => { throw err; };

  it('answers at once, without a promise, when nothing waits', () => {
    const answers: boolean[] = [];
    const result = new AcknowledgementGate(undefined, undefined).whenSafe(message, publisher, (routed) => answers.push(routed), failed);
    assert.equal(result, undefined);
    assert.deepEqual(answers, [true]);
  });

  it('waits for routing, then each added wait, then the store, in that order', async () => {
    const events: string[] = [];
    let routed!: (ok: boolean) => void;
    const disk = store();
    const gate = new AcknowledgementGate(cluster(true, () => new Promise<boolean>((r) => { routed = r; })), disk);
    let roomy!: (ok: boolean) => void;
    gate.add({ name: 'queue-room', check: (m, p) => { events.push(`queue-room ${m?.topic} ${p?.principal.clientId}`); return new Promise<boolean>((r) => { roomy = r; }); } });
    assert.deepEqual(gate.names, ['routed', 'queue-room', 'durable']);
    const answered = gate.whenSafe(message, publisher, (ok) => events.push(`answer ${ok}`), failed);
    assert.deepEqual(events, []);
    routed(true);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['queue-room a p']);
    roomy(true);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['queue-room a p'], 'the store has not committed yet');
    disk.finish();
    await answered;
    assert.deepEqual(events, ['queue-room a p', 'answer true']);
  });

  it('turns the answer into a refusal when a wait says no, still after the store', async () => {
    const disk = store();
    const gate = new AcknowledgementGate(undefined, disk);
    const remove = gate.add({ name: 'no', check: () => Promise.resolve(false) });
    const answers: boolean[] = [];
    const answered = gate.whenSafe(message, publisher, (ok) => answers.push(ok), failed);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(answers, []);
    disk.finish();
    await answered;
    assert.deepEqual(answers, [false]);
    remove();
    assert.deepEqual(gate.names, ['durable']);
  });
});
