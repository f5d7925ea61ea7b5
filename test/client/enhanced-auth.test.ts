/**
 * The client library's MQTT 5 enhanced authentication (MQTT 5.0 section 4.12), with its
 * SCRAM-SHA-256 method, against the broker's SCRAM-SHA-256 authenticator.
 */
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ScramSha256Authenticator, scramCredential } from '../../src/auth/scram/index.js';
import type { EnhancedAuthenticator } from '../../src/broker/index.js';
import { ConnectionRefusedError, MqttClient, MqttClientError, ScramSha256, type Properties } from '../../src/client/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { dial } from '../../src/transport/dial.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';

/** The SCRAM-SHA-256 of the broker, but it answers the proof with a signature of its own making. */
class ImpostorScram implements EnhancedAuthenticator {
  readonly method = 'SCRAM-SHA-256';
  private readonly real = new ScramSha256Authenticator(new Map([['alice', scramCredential('wonderland', 4096)]]));

  begin(context: Parameters<EnhancedAuthenticator['begin']>[0]): ReturnType<EnhancedAuthenticator['begin']> {
    const exchange = this.real.begin(context);
    return {
      step: async (data) => {
        const step = await exchange.step(data);
        return step.outcome === 'success' ? { ...step, data: Buffer.from(`v=${Buffer.alloc(32, 7).toString('base64')}`) } : step;
      },
    };
  }
}

describe('MqttClient with authenticator: new ScramSha256(user, password)', () => {
  let midge: InProcessMidge;
  let impostor: InProcessMidge;
  before(async () => {
    const users = new Map([['alice', scramCredential('wonderland', 4096)]]);
    midge = await startMidge({ broker: { enhancedAuthenticators: [new ScramSha256Authenticator(users)] } });
    impostor = await startMidge({ broker: { enhancedAuthenticators: [new ImpostorScram()] } });
  });
  after(async () => {
    await midge.stop();
    await impostor.stop();
  });

  test('connects with the right password, sends no password in CONNECT, and publishes as that user', async () => {
    const client = new MqttClient(`mqtt://127.0.0.1:${midge.port}`, { protocolVersion: 5, clientId: 'scram-ok', authenticator: new ScramSha256('alice', 'wonderland') });
    const sent: Properties[] = [];
    client.on('packet', ({ direction, packet }) => {
      if (direction !== 'out') return;
      if (packet.type === PacketType.CONNECT) {
        assert.equal(packet.password, undefined, 'the password stays on the client');
        assert.equal(packet.username, undefined);
      }
      if ((packet.type === PacketType.CONNECT || packet.type === PacketType.AUTH) && packet.properties) sent.push(packet.properties);
    });
    const info = await client.connect();
    assert.equal(info.properties?.authenticationMethod, 'SCRAM-SHA-256');
    // CONNECT and the client's AUTH name the method [MQTT-4.12.0-5].
    assert.deepEqual(sent.map((p) => p.authenticationMethod), ['SCRAM-SHA-256', 'SCRAM-SHA-256']);
    await client.publish('scram/ok', 'hello', { qos: 1 });
    await client.end();
  });

  test('a wrong password is refused with 0x86 Bad User Name or Password', async () => {
    const client = new MqttClient(`mqtt://127.0.0.1:${midge.port}`, { protocolVersion: 5, reconnect: false, authenticator: new ScramSha256('alice', 'looking-glass') });
    const error = await client.connect().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConnectionRefusedError);
    assert.equal(error.returnCode, 0x86);
  });

  test('a server that cannot prove it holds the verifier is left: connect() fails with AUTH_FAILED', async () => {
    const client = new MqttClient(`mqtt://127.0.0.1:${impostor.port}`, { protocolVersion: 5, reconnect: false, authenticator: new ScramSha256('alice', 'wonderland') });
    const error = await client.connect().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof MqttClientError);
    assert.equal(error.code, 'AUTH_FAILED');
    assert.match(error.message, /did not prove/);
    assert.equal(client.connected, false);
  });

  test('each connection runs a new exchange: after the network drops, the reconnection proves itself again with a new nonce', async () => {
    let stream: Duplex | undefined;
    const client = new MqttClient(`mqtt://127.0.0.1:${midge.port}`, {
      protocolVersion: 5, clientId: 'scram-again', reconnect: { initialDelayMs: 50, jitter: 0 },
      authenticator: new ScramSha256('alice', 'wonderland'),
      dialer: async (url, options) => (stream = await dial(url, options)),
    });
    const firstSteps: string[] = [];
    client.on('packet', ({ direction, packet }) => {
      if (direction === 'out' && packet.type === PacketType.CONNECT) firstSteps.push(packet.properties!.authenticationData!.toString());
    });
    await client.connect();
    const again = new Promise((resolve) => client.once('connect', resolve));
    stream!.destroy();
    await again;
    assert.equal(firstSteps.length, 2);
    assert.notEqual(firstSteps[0], firstSteps[1], 'a new client nonce');
    await client.publish('scram/again', 'after the drop', { qos: 1 });
    await client.end();
  });

  test('needs MQTT 5', () => {
    assert.throws(() => new MqttClient('mqtt://127.0.0.1:1', { protocolVersion: 4, authenticator: new ScramSha256('a', 'b') }), /needs protocolVersion 5/);
  });
});
