import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { BrokerLimits, BrokerOptions } from '../../../src/broker/index.js';
import { ADDRESS_CHECK_TOPIC, startSnGateway, type SnGateway, type SnGatewayOptions } from '../../../src/sn/gateway/index.js';
import {
  decodeSnDatagram, encodeSnDatagram, SN_PROTOCOL_ID, SnMsgType, snMsgTypeName, type SnForwarder, type SnMessageOfType,
  type SnPlainMessage, type SnPlainMsgTypeCode,
} from '../../../src/sn/protocol/index.js';
import { SnClient, type SnClientOptions } from '../../../src/sn/client/index.js';
import { startMidge, type InProcessMidge } from '../../helpers/midge.js';

const DEFAULT_TIMEOUT = 3000;

/** Fast timers so retransmission and keep alive tests take a second, not a minute. */
export const fastTimers: Partial<SnGatewayOptions> = { tRetry: 0.3, nRetry: 2 };

/** A broker on a random TCP port with an MQTT-SN gateway on a random UDP port. */
export interface SnMidge {
  midge: InProcessMidge;
  gateway: SnGateway;
  /** The MQTT (TCP) port. */
  mqttPort: number;
  /** The MQTT-SN (UDP) port. */
  snPort: number;
  host: string;
  stop(): Promise<void>;
}

/** Starts midge in process with a gateway on `host` (127.0.0.1 by default). */
export async function startSnMidge(
  gateway: Partial<SnGatewayOptions> = {},
  broker?: Partial<Omit<BrokerOptions, 'limits'>> & { limits?: Partial<BrokerLimits> },
): Promise<SnMidge> {
  const midge = await startMidge({ broker });
  const host = gateway.host ?? '127.0.0.1';
  const gw = await startSnGateway(midge.server.broker, { ...fastTimers, port: 0, ...gateway, host });
  return {
    midge, gateway: gw, mqttPort: midge.port, snPort: gw.port, host,
    async stop() {
      await gw.close();
      await midge.stop();
    },
  };
}

/** Polls `condition` until it holds; throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let unique = 0;

/** A name no other test in this process uses. */
export function uniq(prefix: string): string {
  unique++;
  return `${prefix}-${process.pid}-${unique}`;
}

/**
 * A bare MQTT-SN client for gateway tests: it sends exactly the messages (or bytes) a
 * test asks for, optionally through a forwarder encapsulation, and records everything
 * the gateway sends back. Every wait is bounded.
 */
export class RawSnClient {
  readonly received: SnPlainMessage[] = [];
  /** The forwarder each received message came through, by index in `received`. */
  readonly forwarders: Array<SnForwarder | undefined> = [];
  readonly receivedSizes: number[] = [];
  private waiters: Array<() => void> = [];
  private cursor = 0;

  private constructor(readonly socket: Socket, readonly host: string, readonly port: number, public forwarder: SnForwarder | undefined) {
    socket.on('message', (datagram) => {
      const { message, forwarder: via } = decodeSnDatagram(datagram);
      this.received.push(message);
      this.forwarders.push(via);
      this.receivedSizes.push(datagram.length);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Opens a UDP socket of the host's family. */
  static async open(port: number, host = '127.0.0.1', forwarder?: SnForwarder): Promise<RawSnClient> {
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    // A test that fails before close() must not keep the process alive.
    socket.unref();
    return new RawSnClient(socket, host, port, forwarder);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  send(message: SnPlainMessage): void {
    this.sendBytes(encodeSnDatagram({ message, forwarder: this.forwarder }));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.send(bytes, this.port, this.host);
  }

  /** The next message not yet taken. */
  async next(timeoutMs = DEFAULT_TIMEOUT): Promise<SnPlainMessage> {
    await this.waitUntil(() => this.received.length > this.cursor, timeoutMs, 'a message');
    return this.received[this.cursor++]!;
  }

  /** The next message, which must be of `type`. */
  async expect<T extends SnPlainMsgTypeCode>(type: T, timeoutMs = DEFAULT_TIMEOUT): Promise<SnMessageOfType<T>> {
    const m = await this.next(timeoutMs);
    assert.equal(snMsgTypeName(m.type), snMsgTypeName(type), `expected ${snMsgTypeName(type)}, got ${JSON.stringify(m)}`);
    return m as SnMessageOfType<T>;
  }

  /** True when nothing arrives within `ms` (the gateway stays silent). */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.received.length === before;
  }

  /** CONNECT (no will) and check the CONNACK accepts it. */
  async connect(clientId: string, options: { cleanSession?: boolean; duration?: number } = {}): Promise<void> {
    this.send({
      type: SnMsgType.CONNECT, will: false, cleanSession: options.cleanSession ?? true, protocolId: SN_PROTOCOL_ID,
      duration: options.duration ?? 60, clientId,
    });
    const connack = await this.expect(SnMsgType.CONNACK);
    assert.equal(connack.returnCode, 0, 'CONNACK accepts the client');
    await this.proveAddress();
  }

  /** Answers the gateway's address check: the REGISTER of `$SN/address` that follows every CONNACK. */
  async proveAddress(): Promise<void> {
    const check = await this.expect(SnMsgType.REGISTER);
    assert.equal(check.topicName, ADDRESS_CHECK_TOPIC);
    this.send({ type: SnMsgType.REGACK, topicId: check.topicId, msgId: check.msgId, returnCode: 0 });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private async waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * Plays a well-behaved client on a {@link RawSnClient}: answers REGISTER with REGACK,
 * PUBLISH QoS 1 with PUBACK, QoS 2 with PUBREC and PUBREL with PUBCOMP, and collects
 * the PUBLISH messages until a message of `until` arrives. Any other message fails.
 */
export async function serveUntil(raw: RawSnClient, until: SnPlainMsgTypeCode, timeoutMs = DEFAULT_TIMEOUT): Promise<Array<SnMessageOfType<typeof SnMsgType.PUBLISH>>> {
  const publishes: Array<SnMessageOfType<typeof SnMsgType.PUBLISH>> = [];
  for (;;) {
    const m = await raw.next(timeoutMs);
    if (m.type === until) return publishes;
    switch (m.type) {
      case SnMsgType.REGISTER:
        raw.send({ type: SnMsgType.REGACK, topicId: m.topicId, msgId: m.msgId, returnCode: 0 });
        break;
      case SnMsgType.PUBLISH:
        publishes.push(m);
        if (m.qos === 1) raw.send({ type: SnMsgType.PUBACK, topicId: m.topic.topicIdType === 'short' ? 0 : m.topic.topicId, msgId: m.msgId, returnCode: 0 });
        if (m.qos === 2) raw.send({ type: SnMsgType.PUBREC, msgId: m.msgId });
        break;
      case SnMsgType.PUBREL:
        raw.send({ type: SnMsgType.PUBCOMP, msgId: m.msgId });
        break;
      default:
        assert.fail(`unexpected ${snMsgTypeName(m.type)} while waiting for ${snMsgTypeName(until)}: ${JSON.stringify(m)}`);
    }
  }
}

/** Opens an {@link SnClient} to a gateway and connects it. */
export async function connectSnClient(sn: SnMidge, options: Partial<SnClientOptions> = {}): Promise<SnClient> {
  const client = await SnClient.open({
    host: sn.host, port: sn.snPort, clientId: uniq('sn'), keepAlive: 60, cleanSession: true, tRetry: 0.5, nRetry: 3, ...options,
  });
  await client.connect();
  return client;
}

/** Collects what an {@link SnClient} receives, with a bounded wait for a count. */
export function collectSn(client: SnClient): { messages: Array<{ topic: string | undefined; payload: string; qos: number; retain: boolean }>; waitFor(n: number, timeoutMs?: number): Promise<void> } {
  const messages: Array<{ topic: string | undefined; payload: string; qos: number; retain: boolean }> = [];
  const waiters: Array<() => void> = [];
  client.onMessage((m) => {
    messages.push({ topic: m.topicName, payload: m.payload.toString(), qos: m.qos, retain: m.retain });
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    async waitFor(n: number, timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} MQTT-SN messages, got ${messages.length}: ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => { clearTimeout(t); resolve(); });
        });
      }
    },
  };
}
