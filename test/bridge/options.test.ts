/**
 * The bridge options that change how a bridge behaves, between two midge brokers:
 * several addresses (failover back to the main one, round_robin), start_type once and
 * lazy (threshold, idle_timeout), bridge_outgoing_retain, bridge_max_packet_size, and
 * the local client id no client may take.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ConnectionRefusedError, connect } from '../../src/client/index.js';
import { freePort } from '../helpers/ports.js';
import { bridgeConnected, type ConfiguredMidge, eventually, Started } from './helpers.js';

const started = new Started();
after(() => started.close());



const status = (m: ConfiguredMidge) => m.server.bridges.status()[0]!;

describe('bridge options at work', () => {
  test('without round_robin fails over to the next address, and goes back to the main one once it answers', async () => {
    const mainPort = await freePort();
    const backup = await started.midge([]);
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${mainPort} 127.0.0.1:${backup.port}`, 'restart_timeout 1', 'topic a/# out 1']);
    await bridgeConnected(edge.server);
    assert.equal(status(edge).address, `mqtt://127.0.0.1:${backup.port}`);
    const main = await started.midge([], mainPort);
    await eventually(() => status(edge).state === 'connected' && status(edge).address === `mqtt://127.0.0.1:${mainPort}`, 'back on the main address', 15_000);
    assert.ok(edge.records.some((r) => r.message === 'bridge going back to its main address'));
    const reader = await started.watch(main.port, 'a/#');
    const writer = await started.watch(edge.port, []);
    await writer.client.publish('a/1', 'to main', { qos: 1 });
    await reader.waitFor(1);
  });

  test('with round_robin stays on the address that works', async () => {
    const firstPort = await freePort();
    const second = await started.midge([]);
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${firstPort} 127.0.0.1:${second.port}`, 'round_robin true', 'restart_timeout 1', 'topic a/# out 1']);
    await bridgeConnected(edge.server);
    await started.midge([], firstPort);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(status(edge).address, `mqtt://127.0.0.1:${second.port}`, 'no switch back');
    assert.equal(status(edge).connects, 1);
  });

  test('start_type once tries once and stays down', async () => {
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${await freePort()}`, 'start_type once', 'restart_timeout 1', 'topic a/# out 1']);
    await eventually(() => status(edge).connectFailures === 1, 'one attempt');
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual([status(edge).state, status(edge).connectFailures], ['idle', 1]);
  });

  test('start_type lazy connects once threshold messages wait, delivers them, and disconnects after idle_timeout', async () => {
    const cloud = await started.midge([]);
    const reader = await started.watch(cloud.port, 'lazy/#');
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${cloud.port}`, 'start_type lazy', 'threshold 3', 'idle_timeout 1', 'topic lazy/# out 1']);
    const writer = await started.watch(edge.port, []);
    await writer.client.publish('lazy/1', 'one', { qos: 1 });
    await writer.client.publish('lazy/2', 'two', { qos: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([status(edge).state, status(edge).queued, reader.messages.length], ['idle', 2, 0], 'below the threshold nothing connects');
    await writer.client.publish('lazy/3', 'three', { qos: 1 });
    await reader.waitFor(3);
    assert.deepEqual(reader.payloads(), ['one', 'two', 'three']);
    await eventually(() => status(edge).state === 'idle' && status(edge).connects === 1, 'disconnected after idle_timeout', 5000);
    assert.ok(edge.records.some((r) => r.message === 'lazy bridge idle: disconnecting'));
  });

  test('bridge_outgoing_retain false sends retained messages without the RETAIN flag', async () => {
    const cloud = await started.midge([]);
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${cloud.port}`, 'bridge_outgoing_retain false', 'topic cfg/# out 1']);
    await bridgeConnected(edge.server);
    const writer = await started.watch(edge.port, []);
    await writer.client.publish('cfg/mode', 'eco', { qos: 1, retain: true });
    await eventually(() => status(edge).messagesSent === 1 && status(edge).inflight === 0, 'sent');
    assert.equal([...cloud.server.broker.retained.match('cfg/#')].length, 0, 'the remote holds no retained message on cfg/#');
  });

  test('bridge_max_packet_size drops a message too large for it, counted, and sends the rest', async () => {
    const cloud = await started.midge([]);
    const reader = await started.watch(cloud.port, 'big/#');
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${cloud.port}`, 'bridge_max_packet_size 100', 'topic big/# out 1']);
    await bridgeConnected(edge.server);
    const writer = await started.watch(edge.port, []);
    await writer.client.publish('big/1', 'x'.repeat(200), { qos: 1 });
    await writer.client.publish('big/2', 'small', { qos: 1 });
    await reader.waitFor(1);
    assert.deepEqual(reader.payloads(), ['small']);
    assert.equal(status(edge).messagesDropped, 1);
    assert.equal(edge.server.broker.stats.droppedByReason.get('too-large'), 1);
  });

  test("refuses a client that connects with the bridge's local client id", async () => {
    const edge = await started.midge(['connection cloud', `address 127.0.0.1:${await freePort()}`, 'local_clientid edge-queue', 'topic a/# out 1']);
    for (const protocolVersion of [4, 5] as const) {
      await assert.rejects(connect(`mqtt://127.0.0.1:${edge.port}`, { clientId: 'edge-queue', protocolVersion, reconnect: false }), (err: unknown) => {
        assert.ok(err instanceof ConnectionRefusedError);
        assert.equal(err.returnCode, protocolVersion === 5 ? 0x85 : 2);
        return true;
      });
    }
    assert.ok(edge.server.broker.sessions.get('edge-queue'), 'the bridge keeps its session');
  });
});
