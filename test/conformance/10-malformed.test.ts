import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PacketType, encodePacket, writeVarint, varintSize, type ProtocolVersion } from '../../src/protocol/index.js';
import { requireBinary } from '../helpers/external.js';
import { assertServesNewClient, connect, uniq } from '../helpers/flows.js';
import { CLI, spawnMidge, startMidge, type InProcessMidge } from '../helpers/midge.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';

/** What the broker must do about a row's bytes. */
type Outcome =
  | { close: true } // close without sending anything more
  | { connack: number } // CONNACK with this reason code, then close
  | { disconnect: number }; // DISCONNECT with this reason code, then close

/** One kind of bad input, per protocol version it applies to. */
interface Row {
  /** What is wrong, as the end of a sentence: "a SUBSCRIBE with reserved flags". */
  input: string;
  /** The statements (or sections) it checks, per version. */
  cites: Partial<Record<4 | 5, string>>;
  /** Expected outcome per version; versions without one do not run the row. */
  expect: Partial<Record<4 | 5, Outcome>>;
  /** Whether a valid CONNECT goes first (default true). */
  connected?: boolean;
  bytes: (v: ProtocolVersion) => Buffer;
}

/** A packet: first byte, then the remaining length of the body, then the body. */
function frame(firstByte: number, ...parts: Array<Buffer | number[]>): Buffer {
  const body = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
  const out = Buffer.alloc(1 + varintSize(body.length) + body.length);
  out[0] = firstByte;
  body.copy(out, writeVarint(out, 1, body.length));
  return out;
}

/** A length-prefixed string of raw bytes, well-formed or not. */
function str(bytes: Buffer | number[] | string): Buffer {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** An empty property list in v5, nothing before. */
const noProps = (v: ProtocolVersion): number[] => (v === 5 ? [0] : []);

const publishTo = (topic: Buffer | number[] | string, flags = 0x30, packetId: number[] = []) =>
  (v: ProtocolVersion): Buffer => frame(flags, str(topic), packetId, noProps(v), Buffer.from('payload'));

const subscribeTo = (filter: Buffer | number[] | string, options = 0x00, first = 0x82) =>
  (v: ProtocolVersion): Buffer => frame(first, [0x00, 0x01], noProps(v), str(filter), [options]);

const connectWithClientId = (id: number[]) => (v: ProtocolVersion): Buffer =>
  frame(0x10, str('MQTT'), [v, 0x02, 0x00, 0x3c], noProps(v), str(id));

/** A CONNECT with the given connect flags; the will (when flagged) goes to `willTopic`. */
const connectWithFlags = (flags: number, willTopic = 'will/topic', firstByte = 0x10) => (v: ProtocolVersion): Buffer => {
  const will = flags & 0x04 ? [Buffer.from(noProps(v)), str(willTopic), str('gone')] : [];
  const user = flags & 0x80 ? [str('user')] : [];
  const password = flags & 0x40 ? [str('secret')] : [];
  return frame(firstByte, str('MQTT'), [v, flags, 0x00, 0x3c], noProps(v), str('flagged'), ...will, ...user, ...password);
};

const CLOSE: Outcome = { close: true };
const malformed: Row['expect'] = { 4: CLOSE, 5: { disconnect: 0x81 } };
const protocolError: Row['expect'] = { 4: CLOSE, 5: { disconnect: 0x82 } };

const rows: Row[] = [
  {
    input: 'a SUBSCRIBE with reserved flags 0000', cites: { 4: '[MQTT-3.8.1-1] [MQTT-2.2.2-2]', 5: '[MQTT-3.8.1-1] [MQTT-2.1.3-1]' },
    expect: malformed, bytes: subscribeTo('a', 0, 0x80),
  },
  {
    input: 'an UNSUBSCRIBE with reserved flags 0000', cites: { 4: '[MQTT-3.10.1-1]', 5: '[MQTT-3.10.1-1]' },
    expect: malformed, bytes: (v) => frame(0xa0, [0x00, 0x01], noProps(v), str('a')),
  },
  {
    input: 'a PUBREL with reserved flags 0000', cites: { 4: '[MQTT-3.6.1-1]', 5: '[MQTT-3.6.1-1]' },
    expect: malformed, bytes: () => frame(0x60, [0x00, 0x01]),
  },
  {
    input: 'a PINGREQ with reserved flags 0001', cites: { 4: '[MQTT-2.2.2-1] [MQTT-2.2.2-2]', 5: '[MQTT-2.1.3-1]' },
    expect: malformed, bytes: () => frame(0xc1),
  },
  {
    input: 'a DISCONNECT with reserved flags 0001', cites: { 4: '[MQTT-3.14.1-1]', 5: '[MQTT-3.14.1-1]' },
    expect: malformed, bytes: () => frame(0xe1),
  },
  {
    input: 'a packet of the reserved type 0', cites: { 4: '(section 2.2.1) [MQTT-4.8.0-1]', 5: '(section 2.1.2) [MQTT-4.13.1-1]' },
    expect: malformed, bytes: () => frame(0x00),
  },
  {
    input: 'an AUTH packet, a reserved type in 3.1.1', cites: { 4: '(section 2.2.1) [MQTT-4.8.0-1]' },
    expect: { 4: CLOSE }, bytes: () => frame(0xf0),
  },
  {
    input: 'a PUBLISH as the first packet', cites: { 4: '[MQTT-3.1.0-1]', 5: '[MQTT-3.1.0-1]' },
    expect: { 4: CLOSE, 5: CLOSE }, connected: false, bytes: publishTo('t'),
  },
  {
    input: 'a second CONNECT', cites: { 4: '[MQTT-3.1.0-2]', 5: '[MQTT-3.1.0-2]' },
    expect: protocolError, bytes: (v) => encodePacket(connectPacket({ version: v }), v),
  },
  {
    input: 'a CONNECT whose client id is ill-formed UTF-8', cites: { 4: '[MQTT-1.5.3-1] [MQTT-3.1.3-4] [MQTT-3.1.4-1]', 5: '[MQTT-1.5.4-1] [MQTT-3.1.3-4] [MQTT-3.1.4-1]' },
    expect: { 4: CLOSE, 5: { connack: 0x81 } }, connected: false, bytes: connectWithClientId([0x61, 0xc3, 0x28]),
  },
  {
    input: 'a CONNECT whose client id contains U+0000', cites: { 4: '[MQTT-1.5.3-2] [MQTT-3.1.4-1]', 5: '[MQTT-1.5.4-2] [MQTT-3.1.4-1]' },
    expect: { 4: CLOSE, 5: { connack: 0x81 } }, connected: false, bytes: connectWithClientId([0x61, 0x00, 0x62]),
  },
  {
    input: 'a CONNECT with fixed-header flags 0001', cites: { 4: '[MQTT-2.2.2-2] [MQTT-3.1.4-1]', 5: '[MQTT-2.1.3-1] [MQTT-3.1.4-1]' },
    expect: { 4: CLOSE, 5: { connack: 0x81 } }, connected: false, bytes: connectWithFlags(0x02, undefined, 0x11),
  },
  {
    input: 'a CONNECT with the reserved connect flag set', cites: { 4: '[MQTT-3.1.2-3]', 5: '[MQTT-3.1.2-3]' },
    expect: { 4: CLOSE, 5: { connack: 0x81 } }, connected: false, bytes: connectWithFlags(0x03),
  },
  {
    input: 'a CONNECT with Will QoS 3', cites: { 4: '[MQTT-3.1.2-14]', 5: '[MQTT-3.1.2-12]' },
    expect: { 4: CLOSE, 5: { connack: 0x81 } }, connected: false, bytes: connectWithFlags(0x1e),
  },
  {
    input: 'a CONNECT with Will QoS 1 but no Will Flag', cites: { 4: '[MQTT-3.1.2-13]', 5: '[MQTT-3.1.2-11]' },
    expect: { 4: CLOSE, 5: { connack: 0x82 } }, connected: false, bytes: connectWithFlags(0x0a),
  },
  {
    input: 'a CONNECT with Will Retain but no Will Flag', cites: { 4: '[MQTT-3.1.2-15]', 5: '[MQTT-3.1.2-13]' },
    expect: { 4: CLOSE, 5: { connack: 0x82 } }, connected: false, bytes: connectWithFlags(0x22),
  },
  {
    input: 'a CONNECT with a password but no user name', cites: { 4: '[MQTT-3.1.2-22]' },
    expect: { 4: CLOSE }, connected: false, bytes: connectWithFlags(0x42),
  },
  {
    input: 'a CONNECT whose will topic contains a wildcard', cites: { 4: '[MQTT-3.1.3-10] [MQTT-4.7.1-1]', 5: '[MQTT-3.1.3-11] [MQTT-4.7.0-1]' },
    expect: { 4: CLOSE, 5: { connack: 0x90 } }, connected: false, bytes: connectWithFlags(0x06, 'will/#'),
  },
  {
    input: 'a CONNECT that ends inside the protocol name', cites: { 4: '[MQTT-3.1.4-1]', 5: '[MQTT-3.1.4-1]' },
    expect: { 4: CLOSE, 5: CLOSE }, connected: false, bytes: () => frame(0x10, [0x00, 0x04, 0x4d, 0x51]),
  },
  {
    input: 'a PUBLISH whose topic is ill-formed UTF-8', cites: { 4: '[MQTT-1.5.3-1] [MQTT-3.3.2-1]', 5: '[MQTT-1.5.4-1] [MQTT-3.3.2-1]' },
    expect: malformed, bytes: publishTo([0x61, 0xc3, 0x28]),
  },
  {
    input: 'a PUBLISH whose topic encodes a UTF-16 surrogate', cites: { 4: '[MQTT-1.5.3-1]', 5: '[MQTT-1.5.4-1]' },
    expect: malformed, bytes: publishTo([0x61, 0xed, 0xa0, 0x80]),
  },
  {
    input: 'a PUBLISH whose topic contains U+0000', cites: { 4: '[MQTT-1.5.3-2] [MQTT-4.7.3-2]', 5: '[MQTT-1.5.4-2] [MQTT-4.7.3-2]' },
    expect: malformed, bytes: publishTo([0x61, 0x00, 0x62]),
  },
  {
    input: "a PUBLISH whose topic contains '+'", cites: { 4: '[MQTT-3.3.2-2] [MQTT-4.7.1-1]', 5: '[MQTT-3.3.2-2] [MQTT-4.7.0-1]' },
    expect: { 4: CLOSE, 5: { disconnect: 0x90 } }, bytes: publishTo('a/+/c'),
  },
  {
    input: "a PUBLISH whose topic contains '#'", cites: { 4: '[MQTT-3.3.2-2] [MQTT-4.7.1-1]', 5: '[MQTT-3.3.2-2] [MQTT-4.7.0-1]' },
    expect: { 4: CLOSE, 5: { disconnect: 0x90 } }, bytes: publishTo('a/#'),
  },
  {
    input: 'a PUBLISH with QoS 3', cites: { 4: '[MQTT-3.3.1-4]', 5: '[MQTT-3.3.1-4]' },
    expect: malformed, bytes: publishTo('t', 0x36, [0x00, 0x01]),
  },
  {
    input: 'a PUBLISH with an empty topic name (and no Topic Alias)', cites: { 4: '[MQTT-4.7.3-1]', 5: '[MQTT-4.7.3-1] (section 3.3.2.1)' },
    expect: protocolError, bytes: publishTo(''),
  },
  {
    input: 'a SUBSCRIBE with an empty topic filter', cites: { 4: '[MQTT-4.7.3-1] [MQTT-4.8.0-1]' },
    expect: { 4: CLOSE }, bytes: subscribeTo(''),
  },
  {
    input: 'a QoS 0 PUBLISH with DUP 1', cites: { 4: '[MQTT-3.3.1-2] [MQTT-4.8.0-1]', 5: '[MQTT-3.3.1-2] [MQTT-4.13.1-1]' },
    expect: protocolError, bytes: publishTo('t', 0x38),
  },
  {
    input: 'a QoS 1 PUBLISH with packet identifier 0', cites: { 4: '[MQTT-2.3.1-1]', 5: '[MQTT-2.2.1-3]' },
    expect: protocolError, bytes: publishTo('t', 0x32, [0x00, 0x00]),
  },
  {
    input: 'a PUBLISH whose topic length runs past the end of the packet', cites: { 4: '[MQTT-3.3.2-1] [MQTT-4.8.0-1]', 5: '[MQTT-3.3.2-1] [MQTT-4.13.1-1]' },
    expect: malformed, bytes: () => frame(0x30, [0x00, 0x0a, 0x61, 0x62]),
  },
  {
    input: 'a PUBACK that ends inside its packet identifier', cites: { 4: '[MQTT-2.3.1-6] [MQTT-4.8.0-1]', 5: '[MQTT-2.2.1-5] [MQTT-4.13.1-1]' },
    expect: malformed, bytes: () => frame(0x40, [0x00]),
  },
  {
    input: 'a SUBSCRIBE whose topic filter has no options byte', cites: { 4: '(section 3.8.3) [MQTT-4.8.0-1]', 5: '(section 3.8.3) [MQTT-4.13.1-1]' },
    expect: malformed, bytes: (v) => frame(0x82, [0x00, 0x01], noProps(v), str('a')),
  },
  {
    input: 'a SUBSCRIBE whose topic filter is ill-formed UTF-8', cites: { 4: '[MQTT-3.8.3-1] [MQTT-1.5.3-1]', 5: '[MQTT-3.8.3-1] [MQTT-1.5.4-1]' },
    expect: malformed, bytes: subscribeTo([0x61, 0xc3, 0x28]),
  },
  {
    input: 'a SUBSCRIBE without any topic filter', cites: { 4: '[MQTT-3.8.3-3]', 5: '[MQTT-3.8.3-2]' },
    expect: protocolError, bytes: (v) => frame(0x82, [0x00, 0x01], noProps(v)),
  },
  {
    input: 'an UNSUBSCRIBE without any topic filter', cites: { 4: '[MQTT-3.10.3-2]', 5: '[MQTT-3.10.3-2]' },
    expect: protocolError, bytes: (v) => frame(0xa2, [0x00, 0x01], noProps(v)),
  },
  {
    input: 'a SUBSCRIBE requesting QoS 3', cites: { 4: '[MQTT-3-8.3-4]', 5: '(section 3.8.3.1) [MQTT-4.13.1-1]' },
    expect: { 4: CLOSE, 5: { disconnect: 0x82 } }, bytes: subscribeTo('a', 0x03),
  },
  {
    input: 'a SUBSCRIBE with reserved subscription option bits set', cites: { 4: '[MQTT-3-8.3-4]', 5: '[MQTT-3.8.3-5]' },
    expect: malformed, bytes: subscribeTo('a', 0xc1),
  },
  {
    input: "a SUBSCRIBE whose filter has '#' before the last level", cites: { 4: '[MQTT-4.7.1-2] [MQTT-4.8.0-1]' },
    expect: { 4: CLOSE }, bytes: subscribeTo('a/#/b'),
  },
  {
    input: 'a remaining length of five bytes', cites: { 4: '(section 2.2.3) [MQTT-4.8.0-1]', 5: '(section 1.5.5) [MQTT-4.13.1-1]' },
    expect: malformed, bytes: () => Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
  },
  {
    input: 'a PUBLISH to a topic of 10,000 levels', cites: { 4: '[MQTT-4.8.0-1]', 5: '[MQTT-4.13.1-1]' },
    expect: { 4: CLOSE, 5: { disconnect: 0x90 } }, bytes: publishTo(Array.from({ length: 10_000 }, () => 'a').join('/')),
  },
  {
    input: 'a CONNACK, which only a server sends', cites: { 4: '[MQTT-4.8.0-1]', 5: '[MQTT-4.13.1-1]' },
    expect: protocolError, bytes: (v) => encodePacket({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 }, v),
  },
  {
    input: 'a PUBLISH with Topic Alias 0', cites: { 5: '[MQTT-3.3.2-8]' },
    expect: { 5: { disconnect: 0x94 } }, bytes: () => frame(0x30, str('t'), [0x03, 0x23, 0x00, 0x00]),
  },
  {
    input: 'a PUBLISH carrying a property PUBLISH may not have', cites: { 5: '(section 2.2.2.2) [MQTT-4.13.1-1]' },
    expect: { 5: { disconnect: 0x81 } }, bytes: () => frame(0x30, str('t'), [0x05, 0x11, 0x00, 0x00, 0x00, 0x0a]),
  },
];

/** Runs one row: connect if asked, send the bytes, check the outcome and that the connection ends. */
async function runRow(port: number, row: Row, version: 4 | 5): Promise<void> {
  const outcome = row.expect[version]!;
  let client: RawClient;
  if (row.connected ?? true) {
    client = await connect(port, { version, clientId: uniq('bad') });
  } else {
    client = await RawClient.open(port, version);
  }
  client.sendBytes(row.bytes(version));
  if ('connack' in outcome) {
    assert.equal((await client.expect(PacketType.CONNACK)).reasonCode, outcome.connack);
  } else if ('disconnect' in outcome) {
    assert.equal((await client.expect(PacketType.DISCONNECT)).reasonCode, outcome.disconnect);
  }
  await client.waitClosed();
  assert.deepEqual(client.pending(), [], 'nothing else was sent');
  assert.equal(client.decodeError, undefined);
}

function describeOutcome(outcome: Outcome): string {
  if ('connack' in outcome) return `answers CONNACK 0x${outcome.connack.toString(16)} and closes`;
  if ('disconnect' in outcome) return `answers DISCONNECT 0x${outcome.disconnect.toString(16)} and closes`;
  return 'closes the connection';
}

describe('10 malformed and forbidden input', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge();
  });
  after(() => midge.stop());

  for (const row of rows) {
    for (const version of [4, 5] as const) {
      const outcome = row.expect[version];
      if (!outcome) continue;
      const label = version === 4 ? '3.1.1' : '5.0';
      it(`${label}: ${describeOutcome(outcome)} on ${row.input}, then serves a new client ${row.cites[version] ?? ''}`, async () => {
        await runRow(midge.port, row, version);
        await assertServesNewClient(midge.port, version);
      });
    }
  }
});

/** Resident set size of a process in bytes, from /proc. */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(match, 'VmRSS in /proc/PID/status');
  return Number(match[1]) * 1024;
}

describe('10 malformed: a 256 MB remaining length', () => {
  it('is refused from its fixed header with DISCONNECT 0x95 while the client streams up to 100 MB of it; broker memory stays bounded and it serves a new client (section 3.2.2.3.6) [MQTT-4.13.1-1]', async (t) => {
    // The built CLI: npm test builds it first; under CI a missing one fails the test.
    if (!requireBinary(t, CLI)) return;
    const midge = await spawnMidge();
    try {
      const pid = midge.pid!;
      const client = await connect(midge.port, { version: 5 });
      // Keep writing after the broker's FIN, as an attacker would, until it drops the socket.
      client.socket.allowHalfOpen = true;
      const baseline = rssOf(pid);
      let peak = baseline;
      const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid)); }, 20).unref();
      // PUBLISH with a remaining length of 256 MB (0x10000000 - 1 is the largest four-byte value).
      client.sendBytes([0x30, 0xff, 0xff, 0xff, 0x7f]);
      let streamed: number;
      try {
        streamed = await streamZeros(client, 100 * 1024 * 1024);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, rssOf(pid));
      const disconnect = client.received.find((p) => p.type === PacketType.DISCONNECT);
      assert.equal(disconnect?.type === PacketType.DISCONNECT ? disconnect.reasonCode : undefined, 0x95);
      await client.waitClosed(5000);
      t.diagnostic(`the client wrote ${(streamed / 1048576).toFixed(0)} MB before the broker dropped it; broker RSS ${(baseline / 1048576).toFixed(0)} MB, peak ${(peak / 1048576).toFixed(0)} MB`);
      assert.ok(peak - baseline < 32 * 1024 * 1024,
        `broker RSS grew by ${((peak - baseline) / 1048576).toFixed(1)} MB while ${(streamed / 1048576).toFixed(0)} MB streamed`);
      await assertServesNewClient(midge.port, 5);
    } finally {
      await midge.stop();
    }
  });
});

/**
 * Writes up to `total` zero bytes in 64 KB chunks, waiting for drain, until done or
 * the broker closes the socket. Returns how many bytes the socket accepted.
 */
async function streamZeros(client: RawClient, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  const socket = client.socket;
  let written = 0;
  while (written < total && !socket.destroyed && socket.writable) {
    const ok = socket.write(chunk);
    written += chunk.length;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 2000);
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
  }
  socket.end();
  return written;
}
