/**
 * The broker's per-client trace end to end: `trace_clients` in a configuration file
 * reaches the broker of `midge broker`; in process, every packet to and from a
 * matching client is logged with the bytes that went over the wire, the budget holds,
 * passwords stay out of the log, and `broker.setTraceClients` changes it at run time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MqttClient } from '../../src/client/index.js';
import type { Logger } from '../../src/broker/index.js';
import { PacketType, encodePacket } from '../../src/protocol/index.js';
import { spawnMidge, startMidge, type InProcessMidge } from '../helpers/midge.js';
import { dumpBytes } from '../helpers/trace-dump.js';
import { runCli } from '../cli/run-cli.js';

interface TraceRecord {
  clientId: string;
  direction?: string;
  trace?: string[];
  skipped?: number;
  msg: string;
}

/** A logger that keeps the trace records (and drops the rest). */
function traceLog(): { logger: Logger; records: TraceRecord[] } {
  const records: TraceRecord[] = [];
  const keep = (fields: object, msg: string): void => {
    if ('trace' in fields || 'skipped' in fields) records.push({ ...(fields as Omit<TraceRecord, 'msg'>), msg });
  };
  return { logger: { error: keep, warn: keep, info: keep, debug: keep }, records };
}

/** Waits (bounded) until `check` holds. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `${what} within 5 s`);
}

describe('trace_clients in the broker', () => {
  const log = traceLog();
  let midge: InProcessMidge;
  let url: string;
  before(async () => {
    midge = await startMidge({ broker: { logger: log.logger, traceClients: ['lesson-*'], limits: { tracePacketsPerSecond: 20, traceDumpBytes: 128 } } });
    url = `mqtt://127.0.0.1:${midge.port}`;
  });
  after(() => midge.stop());

  test('every packet to and from a matching client is logged in order, the delivered PUBLISH with the bytes the codec makes', async () => {
    const sub = new MqttClient(url, { clientId: 'lesson-sub', reconnect: false });
    await sub.connect();
    await sub.subscribe('lesson/topic', { qos: 1 });
    const received = new Promise((resolve) => sub.once('message', resolve));
    const pub = new MqttClient(url, { clientId: 'other-pub', reconnect: false });
    await pub.connect();
    await pub.publish('lesson/topic', 'traced', { qos: 1 });
    await received;
    await pub.end();
    await sub.end();
    await eventually(() => log.records.some((r) => r.clientId === 'lesson-sub' && r.trace?.[0]?.includes('DISCONNECT')), 'the DISCONNECT is traced');
    const mine = log.records.filter((r) => r.clientId === 'lesson-sub');
    assert.deepEqual(mine.map((r) => r.trace![0]!.replace(/ \(.*/, '')), [
      '<< RECEIVED CONNECT', '>> SENT CONNACK', '<< RECEIVED SUBSCRIBE', '>> SENT SUBACK', '>> SENT PUBLISH', '<< RECEIVED PUBACK', '<< RECEIVED DISCONNECT',
    ]);
    assert.ok(log.records.every((r) => r.clientId !== 'other-pub'), 'a client that matches no pattern is not traced');
    const delivered = mine.find((r) => r.trace![0]!.startsWith('>> SENT PUBLISH'))!;
    const packetId = Number(delivered.trace!.find((l) => l.includes('packet id: '))!.split(': ')[1]);
    const expected = encodePacket({ type: PacketType.PUBLISH, topic: 'lesson/topic', payload: Buffer.from('traced'), qos: 1, retain: false, dup: false, packetId }, 4);
    assert.deepEqual(dumpBytes(delivered.trace!), [...expected]);
  });

  test('a password never reaches the log: its bytes are masked in the CONNECT dump', async () => {
    const client = new MqttClient(url, { clientId: 'lesson-secret', username: 'u', password: 'hunter2-secret', reconnect: false });
    await client.connect();
    await client.end();
    await eventually(() => log.records.some((r) => r.clientId === 'lesson-secret'), 'the CONNECT is traced');
    const text = JSON.stringify(log.records.filter((r) => r.clientId === 'lesson-secret'));
    assert.ok(!text.includes('hunter2') && !text.includes(Buffer.from('hunter2').toString('hex').match(/../g)!.join(' ')), text);
    assert.ok(text.includes('**'));
  });

  test('a busy client is traced up to its budget; every other packet is counted in a "not shown" line', async () => {
    const client = new MqttClient(url, { clientId: 'lesson-busy', reconnect: false });
    await client.connect();
    const count = 60;
    for (let i = 0; i < count; i++) await client.publish('lesson/busy', `m${i}`);
    await client.end();
    await eventually(() => log.records.some((r) => r.clientId === 'lesson-busy' && r.skipped !== undefined), 'a "not shown" line');
    await eventually(() => {
      const mine = log.records.filter((r) => r.clientId === 'lesson-busy');
      const shown = mine.filter((r) => r.trace).length;
      const skipped = mine.reduce((n, r) => n + (r.skipped ?? 0), 0);
      // CONNECT, CONNACK, the publishes and DISCONNECT: each either shown or counted.
      return shown + skipped === count + 3;
    }, 'every packet shown or counted');
  });

  test('broker.setTraceClients turns tracing on and off for a client already connected', async () => {
    const client = new MqttClient(url, { clientId: 'runtime-1', reconnect: false });
    await client.connect();
    await client.publish('lesson/runtime', 'before', { qos: 1 });
    midge.server.broker.setTraceClients(['runtime-*']);
    assert.deepEqual(midge.server.broker.traceClients, ['runtime-*']);
    await client.publish('lesson/runtime', 'during', { qos: 1 });
    midge.server.broker.setTraceClients(['lesson-*']);
    await client.publish('lesson/runtime', 'after', { qos: 1 });
    await client.end();
    const mine = log.records.filter((r) => r.clientId === 'runtime-1').map((r) => r.trace![0]!.replace(/ \(.*/, ''));
    assert.deepEqual(mine, ['<< RECEIVED PUBLISH', '>> SENT PUBACK']);
  });
});

describe('trace_clients in a configuration file', () => {
  test('midge broker logs the packets of the clients it names, one JSON record per packet', async () => {
    const broker = await spawnMidge({
      config: 'listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\ntrace_clients nobody other-* tour-sensor\n',
      args: ['--log-level', 'info'],
    });
    try {
      const conn = ['-h', '127.0.0.1', '-p', String(broker.port)];
      assert.equal((await runCli(['pub', ...conn, '-i', 'tour-sensor', '-t', 'tour/config', '-m', 'seen'])).code, 0);
      assert.equal((await runCli(['pub', ...conn, '-i', 'tour-other', '-t', 'tour/config', '-m', 'unseen'])).code, 0);
      const records = (): TraceRecord[] => broker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as TraceRecord).filter((r) => r.trace);
      await eventually(() => records().some((r) => r.trace![0]!.includes('DISCONNECT')), 'the DISCONNECT is traced');
      assert.deepEqual(new Set(records().map((r) => r.clientId)), new Set(['tour-sensor']));
      const publish = records().find((r) => r.trace![0]!.startsWith('<< RECEIVED PUBLISH'))!;
      assert.deepEqual(dumpBytes(publish.trace!), [...encodePacket({ type: PacketType.PUBLISH, topic: 'tour/config', payload: Buffer.from('seen'), qos: 0, retain: false, dup: false }, 4)]);
    } finally {
      await broker.stop();
    }
  });
});
