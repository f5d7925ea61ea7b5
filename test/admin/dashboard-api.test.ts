import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type {
  ClientSubscriptionView, ClientSummary, ClusterView, HistoryView, ListenerView, LiveMessageView, Page, RetainedView, StatsSnapshot,
} from '../../src/admin/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { adminCall, basic, parseMetrics } from '../helpers/admin.js';
import { requireBinary } from '../helpers/external.js';
import { connect, disconnect, publish, subscribe, uniq, waitUntil } from '../helpers/flows.js';
import { RawSnClient } from '../sn/gateway/helpers.js';
import { ADMIN, NOT_ADMIN, startAdminBroker } from './fixtures.js';
import { openLive, type LiveStream } from './live.js';

const run = promisify(execFile);
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';

describe('admin API for the dashboard', () => {
  it('counts retained messages one way everywhere: outside $SYS, in the stats card, /metrics, /api/v1/retained and $SYS', async (t) => {
    const b = await startAdminBroker(t, 'sys_interval 1');
    const auth = { authorization: b.bearerAuth };
    const pub = await connect(b.mqttPort, { clientId: uniq('retainer') });
    await publish(pub, 'count/a', 'one', { retain: true });
    await publish(pub, 'count/b', 'two', { retain: true });
    const sys = await connect(b.mqttPort, { clientId: uniq('sys-reader') });
    await subscribe(sys, ['$SYS/broker/retained messages/count']);
    // The $SYS tree itself is retained: wait until the broker holds more than the two.
    await waitUntil(() => b.server.broker.retained.size > 2, 'the $SYS tree is published');
    const stats = (await adminCall<StatsSnapshot>(b.adminPort, '/api/v1/stats', auth)).json;
    const metrics = parseMetrics((await adminCall(b.adminPort, '/metrics', auth)).text);
    const listed = (await adminCall<Page<RetainedView>>(b.adminPort, '/api/v1/retained', auth)).json;
    assert.deepEqual([stats.retained, metrics.get('midge_retained_messages'), listed.total], [2, 2, 2]);
    // The first figure may predate the two messages; the next interval brings the count.
    let sysCount = '';
    for (let i = 0; i < 3 && sysCount !== '2'; i++) sysCount = (await sys.expect(PacketType.PUBLISH)).payload.toString();
    assert.equal(sysCount, '2');
    // $SYS is still there for whoever asks for it by name.
    const sysListed = (await adminCall<Page<RetainedView>>(b.adminPort, `/api/v1/retained?filter=${encodeURIComponent('$SYS/#')}`, auth)).json;
    assert.ok(sysListed.total > 10);
    await disconnect(pub);
    await disconnect(sys);
  });

  it('answers HEAD wherever it answers GET, with GET\'s status and headers and no body', async (t) => {
    const b = await startAdminBroker(t);
    for (const path of ['/metrics', '/api/v1/stats', '/api/v1/history', '/healthz', '/readyz', '/', '/ui/app.js', '/ui/vendor/uplot.js']) {
      const get = await adminCall(b.adminPort, path, { authorization: b.bearerAuth });
      const head = await adminCall(b.adminPort, path, { method: 'HEAD', authorization: b.bearerAuth });
      assert.equal(get.status, 200, `GET ${path}`);
      assert.equal(head.status, 200, `HEAD ${path}`);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
      assert.equal(head.text, '', path);
    }
    const refused = await adminCall(b.adminPort, '/api/v1/stats', { method: 'POST', authorization: b.bearerAuth });
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get('allow'), 'GET, HEAD');
  });

  it('tells a user with the right password that it is not an admin user, and a wrong password nothing more than before', async (t) => {
    const b = await startAdminBroker(t);
    const notAdmin = await adminCall(b.adminPort, '/api/v1/whoami', { authorization: basic(NOT_ADMIN.user, NOT_ADMIN.password) });
    assert.equal(notAdmin.status, 403);
    assert.deepEqual(notAdmin.json, { error: 'not an admin user' });
    for (const authorization of [basic(NOT_ADMIN.user, 'wrong'), basic(ADMIN.user, 'wrong'), basic('nobody', NOT_ADMIN.password)]) {
      const answer = await adminCall(b.adminPort, '/api/v1/whoami', { authorization });
      assert.equal(answer.status, 401, authorization);
      assert.deepEqual(answer.json, { error: 'unauthorized' });
    }
  });

  it('shows when an MQTT-SN client connected, as for MQTT clients', async (t) => {
    const b = await startAdminBroker(t, 'listener 0 127.0.0.1\nprotocol mqttsn');
    const sn = b.server.listeners.find((l) => l.protocol === 'mqttsn')!;
    const before = Date.now();
    const raw = await RawSnClient.open(sn.port);
    t.after(() => raw.close());
    const clientId = uniq('sn-dash');
    await raw.connect(clientId);
    const client = (await adminCall<ClientSummary>(b.adminPort, `/api/v1/clients/${clientId}`, { authorization: b.bearerAuth })).json;
    assert.equal(client.transport, 'mqttsn');
    assert.ok(client.connectedAt !== null, 'connectedAt is set');
    const at = Date.parse(client.connectedAt);
    assert.ok(at >= before - 1000 && at <= Date.now(), client.connectedAt);
    const listeners = (await adminCall<{ items: ListenerView[] }>(b.adminPort, '/api/v1/listeners', { authorization: b.bearerAuth })).json;
    assert.equal(listeners.items.find((l) => l.protocol === 'mqttsn')?.clients, 1);
  });

  it('keeps a history of figures at a fixed interval, rates per second, and returns what came after a time', async (t) => {
    const b = await startAdminBroker(t);
    const history = b.server.admin!.history;
    assert.equal(history.bytes, 14 * 2160 * 8, 'the ring is allocated once: 6 h at 10 s');
    const pub = await connect(b.mqttPort, { clientId: uniq('hist') });
    const start = Date.now();
    history.sample(start);
    for (let i = 0; i < 20; i++) await publish(pub, 'hist/x', 'x');
    await waitUntil(() => b.server.broker.stats.publishReceived === 20, 'the broker has the 20 messages');
    history.sample(start + 10_000);
    const all = (await adminCall<HistoryView>(b.adminPort, '/api/v1/history', { authorization: b.bearerAuth })).json;
    assert.equal(all.intervalMs, 10_000);
    assert.equal(all.time.at(-1), start + 10_000);
    assert.equal(all.series.publishIn.at(-1), 2, '20 messages in 10 s');
    assert.equal(all.series.connected.at(-1), 1);
    const later = (await adminCall<HistoryView>(b.adminPort, `/api/v1/history?since=${start}`, { authorization: b.bearerAuth })).json;
    assert.deepEqual(later.time, [start + 10_000]);
    await disconnect(pub);
  });

  it('forgets the oldest samples once the ring is full', async (t) => {
    const b = await startAdminBroker(t);
    const { StatsHistory } = await import('../../src/admin/history.js');
    const ring = new StatsHistory(b.server.broker, { capacity: 3 });
    for (const at of [1000, 2000, 3000, 4000, 5000]) ring.sample(at);
    assert.deepEqual(ring.since(0).time, [3000, 4000, 5000]);
  });

  it('lists every subscription, searched by filter or client, or by the topic a message would be published to', async (t) => {
    const b = await startAdminBroker(t);
    const prefix = uniq('subs');
    const one = await connect(b.mqttPort, { clientId: `${prefix}-one` });
    await subscribe(one, [[`${prefix}/+/temp`, 1], [`${prefix}/a/#`, 0]]);
    const two = await connect(b.mqttPort, { clientId: `${prefix}-two`, version: 5 });
    await subscribe(two, [[`$share/g/${prefix}/a/temp`, 2]]);
    const auth = { authorization: b.bearerAuth };
    const all = (await adminCall<Page<ClientSubscriptionView>>(b.adminPort, `/api/v1/subscriptions?search=${prefix}`, auth)).json;
    assert.deepEqual(all.items.map((s) => [s.filter, s.clientId, s.qos]), [
      [`$share/g/${prefix}/a/temp`, `${prefix}-two`, 2], [`${prefix}/+/temp`, `${prefix}-one`, 1], [`${prefix}/a/#`, `${prefix}-one`, 0],
    ]);
    assert.equal(all.items[0]!.shareGroup, 'g');
    const matching = (await adminCall<Page<ClientSubscriptionView>>(b.adminPort, `/api/v1/subscriptions?topic=${prefix}/b/temp`, auth)).json;
    assert.deepEqual(matching.items.map((s) => s.filter), [`${prefix}/+/temp`]);
    assert.equal((await adminCall(b.adminPort, '/api/v1/subscriptions?topic=a/%23', auth)).status, 400);
    await disconnect(one);
    await disconnect(two);
  });

  it('says a broker without cluster_redis_url runs alone', async (t) => {
    const b = await startAdminBroker(t);
    const view = (await adminCall<ClusterView>(b.adminPort, '/api/v1/cluster', { authorization: b.bearerAuth })).json;
    assert.deepEqual(view, { clustered: false, available: false, nodes: [], error: null });
  });

  it('streams a message published by mosquitto_pub to a live feed, retained messages first, and not $SYS unless asked', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    const b = await startAdminBroker(t, 'sys_interval 1');
    const pub = await connect(b.mqttPort, { clientId: uniq('live-pub') });
    await publish(pub, 'live/kept', 'retained before', { retain: true });
    const live = await openLive(b.adminPort, `/api/v1/live?filter=${encodeURIComponent('#')}`, b.bearerAuth);
    t.after(() => live.close());
    assert.equal(live.status, 200);
    assert.match(live.headers.get('content-type') ?? '', /^text\/event-stream/);
    await live.until((e) => e.event === 'ready');
    const kept = await live.until((e) => e.event === 'message');
    assert.deepEqual([(kept.data as LiveMessageView).topic, (kept.data as LiveMessageView).fromRetained], ['live/kept', true]);
    await run(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(b.mqttPort), '-t', 'live/from-mosquitto', '-m', 'hello dashboard', '-q', '1']);
    const got = await live.until((e) => (e.data as LiveMessageView).topic === 'live/from-mosquitto');
    assert.deepEqual([(got.data as LiveMessageView).payload, (got.data as LiveMessageView).qos], ['hello dashboard', 1]);
    await waitUntil(() => b.server.broker.retained.size > 5, '$SYS is published');
    assert.ok(!live.events.some((e) => (e.data as LiveMessageView).topic?.startsWith('$SYS')), '# does not match $SYS [MQTT-4.7.2-1]');
    await disconnect(pub);
  });

  it('withholds confidential payloads from a live feed over plain HTTP, telling only their size', async (t) => {
    const b = await startAdminBroker(t, 'confidential_topics vault/#');
    const live = await openLive(b.adminPort, `/api/v1/live?filter=${encodeURIComponent('vault/#')}`, b.bearerAuth);
    t.after(() => live.close());
    await live.until((e) => e.event === 'ready');
    const pub = await connect(b.mqttPort, { clientId: uniq('vault') });
    await publish(pub, 'vault/key', 'the secret itself', { qos: 1 });
    const got = (await live.until((e) => e.event === 'message')).data as LiveMessageView;
    assert.deepEqual([got.topic, got.payload, got.size, got.withheld], ['vault/key', '', 17, true]);
    await disconnect(pub);
  });

  it('bounds live feeds: a bad filter is refused, viewers are limited, and a flood is cut to the viewer\'s rate with the rest counted', async (t) => {
    const b = await startAdminBroker(t);
    assert.equal((await adminCall(b.adminPort, '/api/v1/live?filter=a/%23/b', { authorization: b.bearerAuth })).status, 400);
    assert.equal((await adminCall(b.adminPort, '/api/v1/live?filter=%24share/g/a', { authorization: b.bearerAuth })).status, 400);
    const feed = b.server.admin!.feed;
    const streams: LiveStream[] = [];
    for (let i = 0; i < feed.limits.maxViewers; i++) {
      const s = await openLive(b.adminPort, '/api/v1/live?filter=flood/%23', b.bearerAuth);
      streams.push(s);
      await s.until((e) => e.event === 'ready');
    }
    t.after(() => streams.forEach((s) => s.close()));
    assert.equal((await adminCall(b.adminPort, '/api/v1/live', { authorization: b.bearerAuth })).status, 503);
    const pub = await connect(b.mqttPort, { clientId: uniq('flood') });
    const sent = feed.limits.messagesPerSecond * 3;
    for (let i = 0; i < sent; i++) await publish(pub, 'flood/x', `m${i}`);
    const dropped = await streams[0]!.until((e) => e.event === 'dropped', 3000);
    const received = streams[0]!.events.filter((e) => e.event === 'message').length;
    const told = (dropped.data as { total: number }).total;
    assert.ok(received <= feed.limits.messagesPerSecond * 2, `received ${received}`);
    assert.ok(received + told <= sent && told > 0, `received ${received}, told of ${told} dropped, of ${sent}`);
    streams.pop()!.close();
    await waitUntil(() => feed.viewerCount < feed.limits.maxViewers, 'a viewer left');
    await disconnect(pub);
  });
});
