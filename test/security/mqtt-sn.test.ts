import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { describe, it, type TestContext } from 'node:test';
import { AMPLIFICATION_LIMIT, type SnGatewayOptions } from '../../src/sn/gateway/index.js';
import { SN_PROTOCOL_ID, SnMsgType, SnReturnCode, encodeSnDatagram, type SnPlainMessage } from '../../src/sn/protocol/index.js';
import { connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawSnClient, startSnMidge, uniq, waitUntil, type SnMidge } from '../sn/gateway/helpers.js';

/** A UDP socket bound to `host` that counts what it sends and what it is sent. */
async function countingSocket(host: string, t: TestContext): Promise<{ socket: Socket; sent: () => number; received: () => number; send(m: SnPlainMessage, port: number): void }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  socket.unref();
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  let sent = 0;
  let received = 0;
  socket.on('message', (d) => { received += d.length; });
  return {
    socket, sent: () => sent, received: () => received,
    send(m, port) {
      const bytes = encodeSnDatagram({ message: m });
      sent += bytes.length;
      socket.send(bytes, port, '127.0.0.1');
    },
  };
}

function connectMessage(clientId: string, duration = 60): SnPlainMessage {
  return { type: SnMsgType.CONNECT, will: false, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration, clientId };
}

/** A gateway whose broker gives clients 1 s to connect (and to prove their address). */
function startGateway(t: TestContext, gateway: Partial<SnGatewayOptions> = {}): Promise<SnMidge> {
  return startSnMidge(gateway, { limits: { connectTimeout: 1 } }).then((sn) => {
    t.after(() => sn.stop());
    return sn;
  });
}

/** CONNECTs from `count` sockets on 127.0.0.2 that never say anything again; resolves once the gateway answered each. */
async function silentClients(sn: SnMidge, count: number, t: TestContext): Promise<void> {
  const answered: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const c = await countingSocket('127.0.0.2', t);
    answered.push(new Promise((resolve) => c.socket.once('message', () => resolve())));
    c.send(connectMessage(uniq('squatter')), sn.snPort);
  }
  await Promise.all(answered);
}

describe('MQTT-SN cannot be turned against others', () => {
  it(`sends an address that never speaks again at most ${AMPLIFICATION_LIMIT} times the bytes it was sent, then forgets it`, async (t) => {
    const sn = await startGateway(t);
    // The attacker's CONNECT and SUBSCRIBE carry the victim's address (sent from its socket here, as spoofing would).
    const victim = await countingSocket('127.0.0.1', t);
    victim.send(connectMessage('v'), sn.snPort);
    victim.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'short', topicName: 'ab' } }, sn.snPort);
    await waitUntil(() => victim.received() > 0, 2000, 'the CONNACK');
    const publisher = await connectMqttJs(sn.mqttPort);
    for (let i = 0; i < 50; i++) await publisher.publishAsync('ab', Buffer.alloc(1000, i), { qos: 0 });
    await endMqttJs(publisher);
    const amplification = () => {
      const ratio = victim.received() / victim.sent();
      assert.ok(ratio <= AMPLIFICATION_LIMIT, `${victim.received()} bytes sent for ${victim.sent()} received (ratio ${ratio.toFixed(1)})`);
    };
    await new Promise((r) => setTimeout(r, 300));
    amplification();
    await waitUntil(() => sn.gateway.clientCount === 0, 5000, 'the unproven client to be forgotten');
    amplification();
  });

  it('delivers to a client as soon as it answers the address check', async (t) => {
    const sn = await startGateway(t);
    const raw = await RawSnClient.open(sn.snPort);
    t.after(() => raw.close());
    await raw.connect(uniq('honest'));
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'short', topicName: 'cd' } });
    await raw.expect(SnMsgType.SUBACK);
    const publisher = await connectMqttJs(sn.mqttPort);
    await publisher.publishAsync('cd', Buffer.alloc(1000, 7), { qos: 0 });
    await endMqttJs(publisher);
    const publish = await raw.expect(SnMsgType.PUBLISH);
    assert.equal(publish.data.length, 1000);
  });

  it('reclaims the slots of clients that never answer the address check within the connect timeout', async (t) => {
    const sn = await startGateway(t, { maxClients: 20 });
    await silentClients(sn, 20, t);
    assert.equal(sn.gateway.clientCount, 20, 'every slot is taken');
    await waitUntil(() => sn.gateway.clientCount === 0, 5000, 'the slots to be reclaimed');
    const honest = await RawSnClient.open(sn.snPort);
    t.after(() => honest.close());
    await honest.connect(uniq('honest'));
  });

  it('leaves slots for other addresses when one address sends many CONNECTs', async (t) => {
    const sn = await startGateway(t, { maxClients: 20, maxClientsPerAddress: 10 });
    await silentClients(sn, 30, t);
    assert.equal(sn.gateway.clientCount, 10);
    const honest = await RawSnClient.open(sn.snPort);
    t.after(() => honest.close());
    await honest.connect(uniq('honest'));
  });

  it('refuses a keep alive Duration above mqttsn_max_keepalive (default 3600 s), or none at all', async (t) => {
    const sn = await startGateway(t);
    for (const duration of [3601, 0]) {
      const raw = await RawSnClient.open(sn.snPort);
      raw.send(connectMessage(uniq('sleepy'), duration));
      assert.deepEqual(await raw.expect(SnMsgType.CONNACK), { type: SnMsgType.CONNACK, returnCode: SnReturnCode.REJECTED_NOT_SUPPORTED });
      await raw.close();
    }
  });
});
