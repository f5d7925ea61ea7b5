import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublishPacket } from '../../src/protocol/index.js';
import { connect, disconnect, payloads, publish, receive, subscribe, uniq, brokerWithPublisher } from '../helpers/flows.js';
import type { InProcessMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';

/** A new client subscribes to `filter` and takes the retained messages it is sent before `marker`. */
async function retainedFor(port: number, pub: RawClient, filter: string, version: 4 | 5 = 4): Promise<PublishPacket[]> {
  const sub = await connect(port, { version });
  const marker = uniq('marker');
  await subscribe(sub, [[filter, 2], [marker, 0]]);
  await publish(pub, marker, 'end');
  const got: PublishPacket[] = [];
  for (;;) {
    const [p] = await receive(sub, 1);
    if (p!.topic === marker) break;
    got.push(p!);
  }
  await disconnect(sub);
  return got;
}

describe('04 retained messages (MQTT 3.1.1)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(4, (m, p) => { midge = m; pub = p; });

  it('stores a retained message with its QoS and sends it to a new subscriber with RETAIN 1 [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8]', async () => {
    const topic = uniq('store');
    await publish(pub, topic, 'kept', { qos: 1, retain: true });
    const [got] = await retainedFor(midge.port, pub, topic);
    assert.deepEqual([got!.payload.toString(), got!.retain, got!.qos], ['kept', true, 1]);
  });

  it('replaces the retained message of a topic with the newer one [MQTT-3.3.1-5] [MQTT-3.3.1-7]', async () => {
    const topic = uniq('replace');
    await publish(pub, topic, 'old', { qos: 1, retain: true });
    await publish(pub, topic, 'new', { qos: 0, retain: true });
    const got = await retainedFor(midge.port, pub, topic);
    assert.deepEqual(payloads(got), ['new']);
    assert.equal(got[0]!.qos, 0, 'the QoS stored is the new one');
  });

  it('clears the retained message on an empty retained payload, which is still delivered to current subscribers [MQTT-3.3.1-10] [MQTT-3.3.1-11]', async () => {
    const topic = uniq('clear');
    await publish(pub, topic, 'to be cleared', { qos: 1, retain: true });
    const current = await connect(midge.port);
    await subscribe(current, [[topic, 1]]);
    await receive(current, 1);
    await publish(pub, topic, '', { qos: 1, retain: true });
    const [live] = await receive(current, 1);
    assert.deepEqual([live!.payload.length, live!.retain], [0, false]);
    assert.deepEqual(await retainedFor(midge.port, pub, topic), []);
    assert.equal(midge.server.broker.retained.get(topic), undefined, 'nothing stored for the topic');
    await disconnect(current);
  });

  it('sets RETAIN 0 when forwarding to an established subscription, whatever the publisher set [MQTT-3.3.1-9]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('live');
    await subscribe(sub, [[topic, 1]]);
    await publish(pub, topic, 'retained on publish', { qos: 1, retain: true });
    const [got] = await receive(sub, 1);
    assert.equal(got!.retain, false);
    await disconnect(sub);
  });

  it('neither stores, replaces nor removes anything for a PUBLISH with RETAIN 0 [MQTT-3.3.1-12]', async () => {
    const topic = uniq('plain');
    await publish(pub, topic, 'retained', { qos: 1, retain: true });
    await publish(pub, topic, 'not retained', { qos: 1 });
    await publish(pub, topic, '', { qos: 1 });
    assert.deepEqual(payloads(await retainedFor(midge.port, pub, topic)), ['retained']);
    const other = uniq('never-retained');
    await publish(pub, other, 'plain', { qos: 1 });
    assert.deepEqual(await retainedFor(midge.port, pub, other), []);
  });

  it('sends a retained message at the minimum of its QoS and the granted QoS [MQTT-3.8.4-6]', async () => {
    const topic = uniq('minqos');
    await publish(pub, topic, 'qos 2', { qos: 2, retain: true });
    const sub = await connect(midge.port);
    await subscribe(sub, [[topic, 1]]);
    const [got] = await receive(sub, 1);
    assert.deepEqual([got!.qos, got!.retain], [1, true]);
    await disconnect(sub);
  });

  it('sends every retained message a wildcard filter matches, none on $ topics for a leading wildcard [MQTT-3.3.1-6] [MQTT-4.7.2-1]', async () => {
    const base = uniq('tree');
    for (const t of [`${base}`, `${base}/a`, `${base}/a/b`, `${base}/c`]) await publish(pub, t, t, { qos: 1, retain: true });
    await publish(pub, `$${base}`, 'dollar', { qos: 1, retain: true });
    assert.deepEqual(payloads(await retainedFor(midge.port, pub, `${base}/#`)).sort(), [base, `${base}/a`, `${base}/a/b`, `${base}/c`]);
    assert.deepEqual(payloads(await retainedFor(midge.port, pub, `${base}/+`)).sort(), [`${base}/a`, `${base}/c`]);
    const all = payloads(await retainedFor(midge.port, pub, '#'));
    assert.ok(all.includes(base) && !all.includes('dollar'), '# matches plain topics only');
    assert.deepEqual(payloads(await retainedFor(midge.port, pub, `$${base}`)), ['dollar']);
  });

  it('keeps retained messages after the publishing session ends [MQTT-3.1.2.7]', async () => {
    const topic = uniq('outlives');
    const once = await connect(midge.port, { clientId: uniq('short-lived'), clean: true });
    await publish(once, topic, 'outlives its session', { qos: 1, retain: true });
    await disconnect(once);
    assert.deepEqual(payloads(await retainedFor(midge.port, pub, topic)), ['outlives its session']);
  });
});

describe('04 retained messages (MQTT 5)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(5, (m, p) => { midge = m; pub = p; });

  it('keeps the RETAIN flag on live delivery only for Retain As Published subscriptions [MQTT-3.3.1-12] [MQTT-3.3.1-13]', async () => {
    const sub = await connect(midge.port, { version: 5 });
    const base = uniq('rap');
    await subscribe(sub, [{ topicFilter: `${base}/as-published`, qos: 1, retainAsPublished: true }, { topicFilter: `${base}/cleared`, qos: 1 }]);
    await publish(pub, `${base}/as-published`, 'a', { qos: 1, retain: true });
    await publish(pub, `${base}/cleared`, 'b', { qos: 1, retain: true });
    const got = await receive(sub, 2);
    assert.deepEqual(got.map((p) => [p.payload.toString(), p.retain]), [['a', true], ['b', false]]);
    await disconnect(sub);
  });

  it('sends retained messages for Retain Handling 0 on every SUBSCRIBE, 1 only for a new subscription, 2 never [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]', async () => {
    const base = uniq('rh');
    for (const rh of [0, 1, 2]) await publish(pub, `${base}/${rh}`, `rh${rh}`, { qos: 1, retain: true });
    const sub = await connect(midge.port, { version: 5 });
    const marker = uniq('marker');
    await subscribe(sub, [[marker, 0]]);
    const round = async (): Promise<string[]> => {
      for (const rh of [0, 1, 2] as const) await subscribe(sub, [{ topicFilter: `${base}/${rh}`, qos: 1, retainHandling: rh }]);
      await publish(pub, marker, 'end');
      const got: string[] = [];
      for (;;) {
        const [p] = await receive(sub, 1);
        if (p!.topic === marker) return got;
        got.push(p!.payload.toString());
      }
    };
    assert.deepEqual(await round(), ['rh0', 'rh1'], 'first SUBSCRIBE');
    assert.deepEqual(await round(), ['rh0'], 'SUBSCRIBE again to existing subscriptions');
    await disconnect(sub);
  });
});
