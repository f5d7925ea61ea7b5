import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';

type IAuthPacket = Parameters<MqttClient['handleAuth']>[0];
import { ScramSha256Authenticator, scramCredential } from '../../src/auth/scram/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { endMqttJs } from '../helpers/mqttjs.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';
import { ScramClient } from '../helpers/scram-client.js';

const METHOD = 'SCRAM-SHA-256';

describe('MQTT 5 enhanced authentication with SCRAM-SHA-256', () => {
  let midge: InProcessMidge;
  before(async () => {
    const users = new Map([['alice', scramCredential('wonderland', 4096)]]);
    midge = await startMidge({ broker: { enhancedAuthenticators: [new ScramSha256Authenticator(users)] } });
  });
  after(() => midge.stop());

  /** Runs the SCRAM exchange over a raw connection; returns the CONNACK and the scram client. */
  async function scramConnect(user: string, password: string) {
    const client = await RawClient.open(midge.port, 5);
    const scram = new ScramClient(user, password);
    client.send(connectPacket({ version: 5, clientId: `scram-${user}`, properties: { authenticationMethod: METHOD, authenticationData: scram.first() } }));
    const challenge = await client.expect(PacketType.AUTH);
    assert.equal(challenge.reasonCode, 0x18);
    assert.equal(challenge.properties?.authenticationMethod, METHOD);
    client.send({
      type: PacketType.AUTH, reasonCode: 0x18,
      properties: { authenticationMethod: METHOD, authenticationData: scram.final(challenge.properties!.authenticationData!) },
    });
    const connack = await client.expect(PacketType.CONNACK);
    return { client, connack, scram };
  }

  it('admits a user whose SCRAM proof is right, naming the Authentication Method in every AUTH and the CONNACK, and proves the server knows the verifier [MQTT-4.12.0-2] [MQTT-4.12.0-5]', async () => {
    const { client, connack, scram } = await scramConnect('alice', 'wonderland');
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.authenticationMethod, METHOD);
    assert.ok(scram.verify(connack.properties!.authenticationData!), 'server-final signature verifies');
    await client.close();
  });

  it('refuses a wrong password with 0x86 Bad User Name or Password and closes [MQTT-4.12.0-4]', async () => {
    const { client, connack } = await scramConnect('alice', 'looking-glass');
    assert.equal(connack.reasonCode, 0x86);
    await client.waitClosed();
  });

  it('refuses an unknown user only at the end of the exchange, like a wrong password', async () => {
    const { client, connack } = await scramConnect('mallory', 'x');
    assert.equal(connack.reasonCode, 0x86);
    await client.waitClosed();
  });

  it('refuses an unknown authentication method with 0x8C [MQTT-4.12.0-1]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, properties: { authenticationMethod: 'KERBEROS' } });
    assert.equal(connack.reasonCode, 0x8c);
    await client.waitClosed();
  });

  it('re-authenticates a live connection with AUTH 0x19, answering 0x18 and then 0x00 [MQTT-4.12.1-1] [MQTT-3.15.2-1]', async () => {
    const { client, connack } = await scramConnect('alice', 'wonderland');
    assert.equal(connack.reasonCode, 0);
    const scram = new ScramClient('alice', 'wonderland');
    client.send({ type: PacketType.AUTH, reasonCode: 0x19, properties: { authenticationMethod: METHOD, authenticationData: scram.first() } });
    const challenge = await client.expect(PacketType.AUTH);
    assert.equal(challenge.reasonCode, 0x18);
    client.send({
      type: PacketType.AUTH, reasonCode: 0x18,
      properties: { authenticationMethod: METHOD, authenticationData: scram.final(challenge.properties!.authenticationData!) },
    });
    const done = await client.expect(PacketType.AUTH);
    assert.equal(done.reasonCode ?? 0, 0);
    assert.ok(scram.verify(done.properties!.authenticationData!));
    client.send({ type: PacketType.PINGREQ });
    await client.expect(PacketType.PINGRESP);
    await client.close();
  });

  it('disconnects a client whose re-authentication fails, with 0x87 since DISCONNECT has no 0x86 [MQTT-4.12.1-2] [MQTT-3.14.2-1]', async () => {
    const { client } = await scramConnect('alice', 'wonderland');
    const scram = new ScramClient('alice', 'wrong');
    client.send({ type: PacketType.AUTH, reasonCode: 0x19, properties: { authenticationMethod: METHOD, authenticationData: scram.first() } });
    const challenge = await client.expect(PacketType.AUTH);
    client.send({
      type: PacketType.AUTH, reasonCode: 0x18,
      properties: { authenticationMethod: METHOD, authenticationData: scram.final(challenge.properties!.authenticationData!) },
    });
    const disconnect = await client.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x87);
    await client.waitClosed();
  });

  it('treats AUTH from a client that did not use enhanced authentication as a protocol error [MQTT-4.12.0-7]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.AUTH, reasonCode: 0x19, properties: { authenticationMethod: METHOD } });
    const disconnect = await client.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x82);
    await client.waitClosed();
  });

  it('works with MQTT.js as the client, answering AUTH through its handleAuth hook', async () => {
    const scram2 = new ScramClient('alice', 'wonderland');
    const c = mqtt.connect({
      host: '127.0.0.1', port: midge.port, protocolVersion: 5, reconnectPeriod: 0, clientId: 'mqttjs-scram-2',
      properties: { authenticationMethod: METHOD, authenticationData: scram2.first() },
    });
    c.handleAuth = (packet: IAuthPacket, callback) => {
      callback(undefined, {
        cmd: 'auth', reasonCode: 0x18,
        properties: { authenticationMethod: METHOD, authenticationData: scram2.final(packet.properties!.authenticationData!) },
      });
    };
    const connack = await new Promise<{ properties?: { authenticationData?: Buffer } }>((resolve, reject) => {
      c.once('connect', (p) => resolve(p));
      c.once('error', reject);
    });
    assert.ok(scram2.verify(connack.properties!.authenticationData!));
    await endMqttJs(c);
  });
});
