/**
 * The gateway acknowledges a PUBLISH only when that is safe (on disk, routed to the
 * cluster, room in the subscribers' queues). When that takes longer than the client's
 * Tretry, the client sends the PUBLISH again with DUP set and the same MsgId
 * [MQTT-SN-1.2 6.13]. The gateway still handles that MsgId from that client: the resend is
 * the same message, answered once the first is, and not routed a second time (QoS 1 may
 * repeat [MQTT-SN-1.2 6.6], but a gateway that knows it is a repeat does not repeat it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Broker } from '../../../src/broker/index.js';
import { SnMsgType, SnReturnCode, type SnQoS } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { RawSnClient, startSnMidge, uniq, waitUntil, type SnMidge } from './helpers.js';

/**
 * Holds every acknowledgement of a publish until `release`: a commit, or a hand-over to
 * the cluster, that takes its time. `routed` false: the messages turn out unroutable, as
 * when the cluster is lost meanwhile (answers to repeats, which carry no message, pass).
 */
function holdAcknowledgements(broker: Broker): { readonly asked: number; release(routed?: boolean): void } {
  const held: Array<(routed: boolean) => void> = [];
  let asked = 0;
  const remove = broker.admission.gate.add({
    name: 'held by the test',
    check: (message) => {
      asked++;
      return new Promise<boolean>((resolve) => held.push((routed) => resolve(routed || message === undefined)));
    },
  });
  return {
    get asked() { return asked; },
    release(routed = true) {
      remove();
      for (const resolve of held.splice(0)) resolve(routed);
    },
  };
}

describe('an MQTT-SN PUBLISH sent again while the gateway waits to acknowledge it', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  let inbox: ReturnType<typeof collect>;
  before(async () => {
    sn = await startSnMidge();
    mqtt = await connectMqttJs(sn.mqttPort);
    inbox = collect(mqtt);
    await new Promise<void>((resolve, reject) => mqtt.subscribe('slow/#', { qos: 2 }, (err) => (err ? reject(err) : resolve())));
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  it('refuses the QoS 1 resends as the first when that could not be routed after all, rather than accept them [MQTT-SN-1.2 6.6, 6.13]', async () => {
    const topic = uniq('slow/lost');
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('slow'));
    raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: topic });
    const { topicId } = await raw.expect(SnMsgType.REGACK);
    const publish = (dup: boolean) => raw.send({
      type: SnMsgType.PUBLISH, dup, qos: 1, retain: false, topic: { topicIdType: 'normal', topicId }, msgId: 9, data: Buffer.from('unroutable'),
    });
    const gate = holdAcknowledgements(sn.midge.server.broker);
    publish(false);
    publish(true);
    await waitUntil(() => gate.asked === 2, 5000, 'the gateway to take the resend');
    gate.release(false);
    const refused = { type: SnMsgType.PUBACK, topicId, msgId: 9, returnCode: SnReturnCode.REJECTED_CONGESTION };
    assert.deepEqual([await raw.next(), await raw.next()], [refused, refused]);
    await raw.close();
  });

  for (const qos of [1, 2] as const) {
    it(`is delivered once at QoS ${qos} and the resends are answered once the first is safe [MQTT-SN-1.2 6.6, 6.13]`, async () => {
      const topic = uniq(`slow/q${qos}`);
      const raw = await RawSnClient.open(sn.snPort);
      await raw.connect(uniq('slow'));
      raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: topic });
      const { topicId } = await raw.expect(SnMsgType.REGACK);
      const publish = (msgId: number, dup: boolean, payload: string, q: SnQoS = qos) => raw.send({
        type: SnMsgType.PUBLISH, dup, qos: q, retain: false, topic: { topicIdType: 'normal', topicId }, msgId, data: Buffer.from(payload),
      });
      const before = inbox.messages.length;
      const gate = holdAcknowledgements(sn.midge.server.broker);

      publish(5, false, 'once');
      await inbox.waitFor(before + 1);
      publish(5, true, 'once');
      publish(5, true, 'once');
      await waitUntil(() => gate.asked === 3, 5000, 'the gateway to take both resends');
      assert.equal(await raw.quietFor(100), true, 'nothing is acknowledged before it is safe');
      gate.release();
      const answers = [await raw.next(), await raw.next(), await raw.next()];
      const answer = qos === 1 ? { type: SnMsgType.PUBACK, topicId, msgId: 5, returnCode: SnReturnCode.ACCEPTED } : { type: SnMsgType.PUBREC, msgId: 5 };
      assert.deepEqual(answers, [answer, answer, answer], 'every copy is answered as the first');
      if (qos === 2) {
        raw.send({ type: SnMsgType.PUBREL, msgId: 5 });
        assert.deepEqual(await raw.next(), { type: SnMsgType.PUBCOMP, msgId: 5 });
      }

      // The MsgId is free again once acknowledged: a new message under it is routed.
      publish(5, false, 'next', 1);
      assert.deepEqual(await raw.next(), { type: SnMsgType.PUBACK, topicId, msgId: 5, returnCode: SnReturnCode.ACCEPTED });
      await inbox.waitFor(before + 2);
      assert.deepEqual(inbox.messages.slice(before).map((m) => m.payload.toString()), ['once', 'next']);
      await raw.close();
    });
  }
});
