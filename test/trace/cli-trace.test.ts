/**
 * `--trace` of `midge pub`, `sub` and `rr`: every packet sent and received on
 * stderr, decoded and dumped; stdout stays the messages. The dumps are compared
 * with what the codec encodes for the same packet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MqttClient } from '../../src/client/index.js';
import { PacketType, decodePacket, encodePacket, type Packet, type ProtocolVersion } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { dumpBytes, splitTraces, type TracedPacket } from '../helpers/trace-dump.js';
import { runCli, startCli } from '../cli/run-cli.js';

/** The bytes of a traced packet as a Buffer (no masked bytes expected). */
function bytesOf(packet: TracedPacket): Buffer {
  const bytes = dumpBytes(packet.lines);
  assert.ok(bytes.every((b) => b !== 'masked'), `masked bytes in ${packet.header}`);
  return Buffer.from(bytes as number[]);
}

/** Decodes a traced packet's dump with the codec. */
function decodeTraced(packet: TracedPacket, version: ProtocolVersion): Packet {
  const bytes = bytesOf(packet);
  let offset = 1;
  while (bytes[offset]! & 0x80) offset++;
  return decodePacket(bytes[0]!, bytes.subarray(offset + 1), version);
}

/** `>> SENT PUBLISH` and the like, one per traced packet. */
function flow(stderr: string): string[] {
  return splitTraces(stderr).map((p) => p.header.replace(/ \(\d+ bytes?\)$/, ''));
}

/** The `packet id: N` a traced packet shows. */
function packetIdOf(packet: TracedPacket): number {
  const line = packet.lines.find((l) => l.trim().startsWith('packet id: '));
  assert.ok(line, `no packet id in ${packet.header}`);
  return Number(line.trim().slice('packet id: '.length));
}

describe('--trace of the command-line tools', () => {
  let midge: InProcessMidge;
  let conn: string[];
  before(async () => {
    midge = await startMidge();
    conn = ['-h', '127.0.0.1', '-p', String(midge.port)];
  });
  after(() => midge.stop());

  for (const version of [4, 5] as const) {
    test(`pub --trace of a PUBLISH (MQTT ${version === 5 ? '5' : '3.1.1'}) dumps the very bytes encodePacket makes of it`, async () => {
      const extra = version === 5 ? ['-V', '5', '-D', 'publish', 'user-property', 'lesson', 'one'] : [];
      const result = await runCli(['pub', ...conn, '--trace', '-i', `tracer-${version}`, '-t', 'tour/trace', '-m', 'hello, bytes', '-q', '1', ...extra]);
      assert.deepEqual([result.code, result.stdout.length], [0, 0]);
      const publish = splitTraces(result.stderr).find((p) => p.header.startsWith('>> SENT PUBLISH'));
      assert.ok(publish, result.stderr);
      const expected = encodePacket({
        type: PacketType.PUBLISH, topic: 'tour/trace', payload: Buffer.from('hello, bytes'), qos: 1, retain: false, dup: false,
        packetId: packetIdOf(publish), ...(version === 5 ? { properties: { userProperties: [['lesson', 'one']] } } : {}),
      }, version);
      assert.equal(bytesOf(publish).toString('hex'), expected.toString('hex'));
    });
  }

  test('pub --trace at QoS 2 shows the four-packet flow between CONNECT/CONNACK and DISCONNECT, and every dump decodes to its header\'s type', async () => {
    const result = await runCli(['pub', ...conn, '--trace', '-t', 'tour/qos2', '-m', 'exactly once', '-q', '2']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(flow(result.stderr), [
      '>> SENT CONNECT', '<< RECEIVED CONNACK', '>> SENT PUBLISH', '<< RECEIVED PUBREC', '>> SENT PUBREL', '<< RECEIVED PUBCOMP', '>> SENT DISCONNECT',
    ]);
    for (const p of splitTraces(result.stderr)) {
      const name = p.header.split(' ')[2];
      assert.equal(PacketType[name as keyof typeof PacketType], decodeTraced(p, 4).type, p.header);
    }
  });

  test('sub --trace prints the message alone on stdout and the received PUBLISH, as the broker encoded it, on stderr', async () => {
    const sub = startCli(['sub', ...conn, '--trace', '-t', 'tour/sub', '-q', '1', '-C', '1']);
    await sub.waitFor('<< RECEIVED SUBACK');
    const publisher = new MqttClient(`mqtt://127.0.0.1:${midge.port}`, { reconnect: false });
    await publisher.connect();
    await publisher.publish('tour/sub', 'to the subscriber', { qos: 1 });
    await publisher.end();
    const done = await sub.finished();
    assert.deepEqual([done.code, done.stdout.toString()], [0, 'to the subscriber\n']);
    const received = splitTraces(done.stderr).find((p) => p.header.startsWith('<< RECEIVED PUBLISH'));
    assert.ok(received, done.stderr);
    const expected = encodePacket({
      type: PacketType.PUBLISH, topic: 'tour/sub', payload: Buffer.from('to the subscriber'), qos: 1, retain: false, dup: false, packetId: packetIdOf(received),
    }, 4);
    assert.equal(bytesOf(received).toString('hex'), expected.toString('hex'));
    assert.deepEqual(flow(done.stderr), [
      '>> SENT CONNECT', '<< RECEIVED CONNACK', '>> SENT SUBSCRIBE', '<< RECEIVED SUBACK', '<< RECEIVED PUBLISH', '>> SENT PUBACK', '>> SENT DISCONNECT',
    ]);
  });

  test('rr --trace shows the request\'s Response Topic property in the fields and in the bytes', async () => {
    const responder = new MqttClient(`mqtt://127.0.0.1:${midge.port}`, { protocolVersion: 5, reconnect: false });
    responder.on('message', (m) => {
      if (m.properties?.responseTopic) void responder.publish(m.properties.responseTopic, 'pong');
    });
    await responder.connect();
    await responder.subscribe('tour/service');
    try {
      const result = await runCli(['rr', ...conn, '--trace', '-t', 'tour/service', '-e', 'tour/replies', '-m', 'ping', '-W', '10']);
      assert.deepEqual([result.code, result.stdout.toString()], [0, 'pong\n'], result.stderr);
      const request = splitTraces(result.stderr).find((p) => p.header.startsWith('>> SENT PUBLISH'))!;
      assert.ok(request.lines.some((l) => l.trim() === '0x08 responseTopic: "tour/replies"'), request.lines.join('\n'));
      const decoded = decodeTraced(request, 5);
      assert.equal(decoded.type === PacketType.PUBLISH && decoded.properties?.responseTopic, 'tour/replies');
    } finally {
      await responder.end();
    }
  });

  test('without --trace nothing is written to stderr', async () => {
    const result = await runCli(['pub', ...conn, '-t', 'tour/quiet', '-m', 'x']);
    assert.deepEqual([result.code, result.stderr], [0, '']);
  });
});
