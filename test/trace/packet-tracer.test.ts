/**
 * The broker's PacketTracer alone, with a recording logger and a hand-turned clock:
 * which client ids the patterns pick, the per-second budget and its "not shown" line,
 * the dump cap, and run-time changes of the patterns.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketTracer, compilePatterns, type TracedConnection } from '../../src/broker/packet-trace.js';
import type { Logger } from '../../src/broker/index.js';
import { PacketType, encodePacket, type Packet } from '../../src/protocol/index.js';
import { dumpBytes } from '../helpers/trace-dump.js';

interface Record {
  fields: { clientId?: string; direction?: string; trace?: string[]; skipped?: number };
  message: string;
}

function recorder(): { logger: Logger; records: Record[] } {
  const records: Record[] = [];
  const log = (fields: object, message: string): void => void records.push({ fields: fields as Record['fields'], message });
  return { logger: { error: log, warn: log, info: log, debug: log }, records };
}

function connection(clientId: string): TracedConnection {
  return { clientId, protocolVersion: 4 };
}

const ping: Packet = { type: PacketType.PINGREQ };
const pingBytes = encodePacket(ping, 4);

/** Feeds a PINGREQ from `conn` as the framer hands it over. */
function receivePing(tracer: PacketTracer, conn: TracedConnection): void {
  tracer.received(conn, ping, pingBytes[0]!, pingBytes.subarray(2));
}

describe('trace_clients patterns', () => {
  test('* matches any run of characters, everything else literally, and the whole client id must match', () => {
    const re = compilePatterns(['sensor-*', 'a.b', '*-debug', 'exact']);
    for (const id of ['sensor-', 'sensor-1', 'sensor-x/y', 'a.b', 'x-debug', '-debug', 'exact']) assert.ok(re.test(id), id);
    for (const id of ['Sensor-1', 'my-sensor-1', 'axb', 'a.bc', 'x-debug2', 'exactly', '']) assert.ok(!re.test(id), id);
  });

  test('a lone * traces every client, even one with an empty client id', () => {
    const re = compilePatterns(['*']);
    for (const id of ['', 'anything', 'with\nnewline']) assert.ok(re.test(id), JSON.stringify(id));
  });

  test('setPatterns refuses an empty pattern, an overlong one and too many, and keeps the old ones', () => {
    const { logger } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 10, maxDumpBytes: 64 }, ['keep-*']);
    assert.throws(() => tracer.setPatterns(['']), RangeError);
    assert.throws(() => tracer.setPatterns(['x'.repeat(257)]), RangeError);
    assert.throws(() => tracer.setPatterns(Array.from({ length: 101 }, (_, i) => `c${i}`)), RangeError);
    assert.deepEqual(tracer.clientPatterns, ['keep-*']);
    assert.ok(tracer.matches('keep-1'));
  });
});

describe('PacketTracer', () => {
  test('logs each packet of a matching client with its rendering, and nothing of other clients', () => {
    const { logger, records } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 10, maxDumpBytes: 64 }, ['dev-*']);
    receivePing(tracer, connection('dev-1'));
    receivePing(tracer, connection('prod-1'));
    tracer.sent(connection('dev-1'), encodePacket({ type: PacketType.PINGRESP }, 4));
    assert.deepEqual(records.map((r) => [r.fields.clientId, r.message, r.fields.trace?.[0]]), [
      ['dev-1', 'packet received', '<< RECEIVED PINGREQ (2 bytes)'],
      ['dev-1', 'packet sent', '>> SENT PINGRESP (2 bytes)'],
    ]);
  });

  test('a CONNECT is traced by the client id it carries, before the connection knows its id', () => {
    const { logger, records } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 10, maxDumpBytes: 64 }, ['dev-*']);
    const connect: Packet = { type: PacketType.CONNECT, protocolName: 'MQTT', protocolVersion: 4, clean: true, keepAlive: 10, clientId: 'dev-9' };
    const bytes = encodePacket(connect, 4);
    tracer.received(connection(''), connect, bytes[0]!, bytes.subarray(2));
    assert.equal(records.length, 1);
    assert.deepEqual(dumpBytes(records[0]!.fields.trace!), [...bytes]);
  });

  test('over the budget, packets are counted and one line says how many were not shown when the next second starts', () => {
    const { logger, records } = recorder();
    let now = 1_000;
    const tracer = new PacketTracer(logger, { packetsPerSecond: 3, maxDumpBytes: 64 }, ['*'], () => now);
    const conn = connection('busy');
    for (let i = 0; i < 10; i++) receivePing(tracer, conn);
    assert.equal(records.length, 3);
    now += 999;
    receivePing(tracer, conn);
    assert.equal(records.length, 3, 'still the same second');
    now += 1;
    receivePing(tracer, conn);
    assert.deepEqual(records.slice(3).map((r) => [r.fields.skipped, r.message]), [
      [8, 'packet trace: 8 packets not shown (over 3 a second)'],
      [undefined, 'packet received'],
    ]);
  });

  test('the count of packets not shown is logged when the connection closes, once', () => {
    const { logger, records } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 1, maxDumpBytes: 64 }, ['*'], () => 0);
    const conn = connection('closing');
    for (let i = 0; i < 4; i++) receivePing(tracer, conn);
    tracer.closed(conn);
    tracer.closed(conn);
    assert.deepEqual(records.map((r) => r.fields.skipped), [undefined, 3]);
  });

  test('a dump stops at maxDumpBytes', () => {
    const { logger, records } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 10, maxDumpBytes: 20 }, ['*']);
    const publish: Packet = { type: PacketType.PUBLISH, topic: 'big', payload: Buffer.alloc(500, 1), qos: 0, retain: false, dup: false };
    tracer.sent(connection('c'), encodePacket(publish, 4));
    const trace = records[0]!.fields.trace!;
    assert.equal(dumpBytes(trace).length, 20);
    assert.match(trace.at(-1)!, /more bytes not shown/);
  });

  test('bytes sent without their packet (a shared PUBLISH encoding) are decoded for the trace', () => {
    const { logger, records } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 10, maxDumpBytes: 64 }, ['*']);
    const publish: Packet = { type: PacketType.PUBLISH, topic: 'shared/one', payload: Buffer.from('x'), qos: 1, retain: true, dup: false, packetId: 77 };
    tracer.sent(connection('c'), encodePacket(publish, 4));
    const trace = records[0]!.fields.trace!;
    assert.ok(trace.includes('   topic: "shared/one"') && trace.includes('   packet id: 77'), trace.join('\n'));
  });

  test('changing the patterns takes effect from the next packet of a connection already seen', () => {
    const { logger, records } = recorder();
    const tracer = new PacketTracer(logger, { packetsPerSecond: 10, maxDumpBytes: 64 });
    const conn = connection('late');
    receivePing(tracer, conn);
    assert.equal(tracer.active, false);
    tracer.setPatterns(['late']);
    receivePing(tracer, conn);
    tracer.setPatterns([]);
    receivePing(tracer, conn);
    assert.equal(records.length, 1);
    assert.equal(tracer.active, false);
  });
});
