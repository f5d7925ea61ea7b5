import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket, type RawData } from 'ws';
import { PacketFramer, PacketType, decodePacket, encodePacket, type Packet } from '../../src/protocol/index.js';
import { connect, disconnect, publish, receive, subscribe, uniq, waitUntil } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { connectPacket } from '../helpers/raw-client.js';

/** A bare WebSocket client: sends frames as a test asks, decodes what comes back. */
class WsClient {
  readonly packets: Packet[] = [];
  readonly frameKinds: boolean[] = [];
  private readonly framer = new PacketFramer();
  private closedFlag = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.frameKinds.push(isBinary);
      this.framer.push(data as Buffer, (first, body) => this.packets.push(decodePacket(first, body, 4)));
    });
    ws.on('close', () => { this.closedFlag = true; });
    ws.on('error', () => {});
  }

  static open(port: number, protocols: string[]): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, protocols);
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Waits until `count` packets have arrived. */
  async packetsArrived(count: number): Promise<Packet[]> {
    await waitUntil(() => this.packets.length >= count, `${count} packets over WebSocket`);
    return this.packets;
  }

  close(): void {
    this.ws.terminate();
  }
}

const bytesOf = (packet: Packet): Buffer => encodePacket(packet, 4);

describe('13 MQTT over WebSocket (section 6)', () => {
  let midge: InProcessMidge;
  let wsPort: number;
  before(async () => {
    midge = await startMidge({
      listeners: [
        { port: 0, host: '127.0.0.1', protocol: 'mqtt' },
        { port: 0, host: '127.0.0.1', protocol: 'websockets', websocketsPath: '/mqtt' },
      ],
    });
    wsPort = midge.server.listeners[1]!.port;
  });
  after(() => midge.stop());

  it('selects and returns the subprotocol mqtt [MQTT-6.0.0-4]', async () => {
    for (const offered of [['mqtt'], ['mqttv3.1', 'mqtt']]) {
      const client = await WsClient.open(wsPort, offered);
      assert.equal(client.ws.protocol, 'mqtt', `offered ${offered.join(', ')}`);
      client.close();
    }
  });

  it('reads packets split across and packed into binary frames, and sends binary frames only [MQTT-6.0.0-2] [MQTT-6.0.0-1]', async () => {
    const client = await WsClient.open(wsPort, ['mqtt']);
    const connectBytes = bytesOf(connectPacket({ clientId: uniq('ws-split') }));
    const subscribeBytes = bytesOf({ type: PacketType.SUBSCRIBE, packetId: 7, subscriptions: [{ topicFilter: uniq('ws/t'), qos: 1 }] });
    const pingBytes = bytesOf({ type: PacketType.PINGREQ });
    // CONNECT in two frames; the SUBSCRIBE and the first byte of PINGREQ in one; the rest in a last one.
    client.ws.send(connectBytes.subarray(0, 5));
    client.ws.send(Buffer.concat([connectBytes.subarray(5), subscribeBytes, pingBytes.subarray(0, 1)]));
    client.ws.send(pingBytes.subarray(1));
    const packets = await client.packetsArrived(3);
    assert.deepEqual(packets.map((p) => p.type), [PacketType.CONNACK, PacketType.SUBACK, PacketType.PINGRESP]);
    assert.ok(client.frameKinds.every((binary) => binary), 'every frame from the server is binary');
    client.close();
  });

  it('closes the connection on a text frame before any of it reaches the broker [MQTT-6.0.0-1]', async () => {
    const topic = uniq('ws-text');
    const watcher = await connect(midge.port);
    await subscribe(watcher, [[topic, 0], [`${topic}/marker`, 0]]);
    const client = await WsClient.open(wsPort, ['mqtt']);
    client.ws.send(bytesOf(connectPacket({ clientId: uniq('ws-text') })));
    await client.packetsArrived(1);
    // A QoS 0 PUBLISH whose bytes are all ASCII, so it can travel as a text frame.
    const publishBytes = bytesOf({ type: PacketType.PUBLISH, topic, payload: Buffer.from('as text'), qos: 0, retain: false, dup: false });
    client.ws.send(publishBytes.toString('latin1'));
    await waitUntil(() => client.closed, 'the server closes the WebSocket');
    await publish(watcher, `${topic}/marker`, 'marker');
    const [first] = await receive(watcher, 1);
    assert.equal(first!.topic, `${topic}/marker`, 'the text frame was processed');
    await disconnect(watcher);
  });
});
