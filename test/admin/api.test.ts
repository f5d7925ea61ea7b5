import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import type { ClientSummary, Page, RetainedView, StatsSnapshot, TopicChangesView } from '../../src/admin/index.js';
import { adminCall, basic } from '../helpers/admin.js';
import { connect, disconnect, publish, receive, subscribe, uniq, waitUntil } from '../helpers/flows.js';
import { ADMIN, NOT_ADMIN, startAdminBroker } from './fixtures.js';

/** Every route that needs credentials, with a body where it takes one. */
const PROTECTED: Array<[string, string, unknown?]> = [
  ['GET', '/metrics'],
  ['GET', '/api/v1/stats'],
  ['GET', '/api/v1/listeners'],
  ['GET', '/api/v1/whoami'],
  ['GET', '/api/v1/clients'],
  ['GET', '/api/v1/clients/someone'],
  ['GET', '/api/v1/clients/someone/subscriptions'],
  ['POST', '/api/v1/clients/someone/kick'],
  ['DELETE', '/api/v1/clients/someone'],
  ['GET', '/api/v1/retained?filter=%23'],
  ['DELETE', '/api/v1/retained?topic=a'],
  ['POST', '/api/v1/publish', { topic: 'a', payload: 'x' }],
  ['GET', '/api/v1/topics'],
  ['GET', '/api/v1/no-such-route'],
];

describe('admin REST API', () => {
  it('refuses every protected request without credentials: 401, a Basic challenge and no data', async (t) => {
    const b = await startAdminBroker(t);
    const client = await connect(b.mqttPort, { clientId: 'someone' });
    for (const [method, path, body] of PROTECTED) {
      const answer = await adminCall(b.adminPort, path, { method, body });
      assert.equal(answer.status, 401, `${method} ${path}`);
      assert.deepEqual(answer.json, { error: 'unauthorized' }, `${method} ${path}`);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic realm=/, `${method} ${path}`);
    }
    assert.equal(b.server.broker.sessions.get('someone')?.link !== undefined, true, 'the refused kick left the client alone');
    await disconnect(client);
  });

  it('refuses a wrong password, a wrong token and an unknown scheme', async (t) => {
    const b = await startAdminBroker(t);
    const refused = [
      basic(ADMIN.user, 'wrong'), basic(NOT_ADMIN.user, 'wrong'), basic('nobody', 'x'),
      `Bearer ${ADMIN.token}x`, 'Bearer ', `Token ${ADMIN.token}`, 'Basic !!!',
    ];
    for (const authorization of refused) {
      assert.equal((await adminCall(b.adminPort, '/api/v1/stats', { authorization })).status, 401, authorization);
    }
    const asUser = await adminCall(b.adminPort, '/api/v1/whoami', { authorization: b.basicAuth });
    assert.deepEqual(asUser.json, { kind: 'user', name: ADMIN.user });
    const asToken = await adminCall(b.adminPort, '/api/v1/whoami', { authorization: b.bearerAuth });
    assert.deepEqual(asToken.json, { kind: 'token', name: 'token' });
  });

  it('does not challenge the dashboard, which sends X-Requested-With and shows its own login form', async (t) => {
    const b = await startAdminBroker(t);
    const answer = await adminCall(b.adminPort, '/api/v1/stats', { headers: { 'x-requested-with': 'midge-dashboard' } });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('www-authenticate'), null);
  });

  it('answers health and readiness without credentials, and readiness follows whoever holds the broker unready', async (t) => {
    const b = await startAdminBroker(t);
    assert.deepEqual((await adminCall(b.adminPort, '/healthz')).json, { status: 'ok' });
    assert.equal((await adminCall(b.adminPort, '/readyz')).status, 200);
    const release = b.server.broker.readiness.hold('cluster link down');
    const unready = await adminCall(b.adminPort, '/readyz');
    assert.equal(unready.status, 503);
    assert.deepEqual(unready.json, { ready: false, notReadyBecause: ['cluster link down'] });
    release();
    assert.equal((await adminCall(b.adminPort, '/readyz')).status, 200);
  });

  it('reports stats that count the clients and messages the broker has seen', async (t) => {
    const b = await startAdminBroker(t);
    const sub = await connect(b.mqttPort, { clientId: uniq('sub') });
    await subscribe(sub, [['s/#', 1]]);
    const pub = await connect(b.mqttPort, { clientId: uniq('pub') });
    for (let i = 0; i < 3; i++) await publish(pub, 's/x', `m${i}`, { qos: 1 });
    await receive(sub, 3);
    const stats = (await adminCall<StatsSnapshot>(b.adminPort, '/api/v1/stats', { authorization: b.bearerAuth })).json;
    assert.equal(stats.clients.connected, 2);
    assert.equal(stats.publish.receivedByQos[1], 3);
    assert.equal(stats.publish.bytesReceivedByQos[1], 6);
    assert.equal(stats.subscriptions, 1);
    assert.equal(stats.ready, true);
    await disconnect(sub);
    await disconnect(pub);
  });

  it('lists the MQTT listeners and the admin listener itself', async (t) => {
    const b = await startAdminBroker(t);
    const answer = await adminCall<{ items: Array<{ protocol: string; port: number }> }>(b.adminPort, '/api/v1/listeners', { authorization: b.basicAuth });
    assert.deepEqual(answer.json.items.map((l) => [l.protocol, l.port]), [['mqtt', b.mqttPort], ['http', b.adminPort]]);
  });

  it('pages clients in client id order, filters them, and lists a client\'s subscriptions', async (t) => {
    const b = await startAdminBroker(t);
    const prefix = uniq('page');
    const clients = [];
    for (const i of [3, 1, 4, 0, 2]) clients.push(await connect(b.mqttPort, { clientId: `${prefix}-${i}` }));
    const offline = await connect(b.mqttPort, { clientId: `${prefix}-offline`, clean: false });
    await subscribe(offline, [['keep/#', 1], ['other', 0]]);
    await disconnect(offline);
    const auth = { authorization: b.bearerAuth };
    const page = (await adminCall<Page<ClientSummary>>(b.adminPort, `/api/v1/clients?search=${prefix}&offset=1&limit=2`, auth)).json;
    assert.equal(page.total, 6);
    assert.deepEqual(page.items.map((c) => c.clientId), [`${prefix}-1`, `${prefix}-2`]);
    assert.equal(page.items[0]!.remoteAddress, '127.0.0.1');
    const gone = (await adminCall<Page<ClientSummary>>(b.adminPort, `/api/v1/clients?search=${prefix}&connected=false`, auth)).json;
    assert.deepEqual(gone.items.map((c) => [c.clientId, c.connected, c.subscriptions]), [[`${prefix}-offline`, false, 2]]);
    const subs = await adminCall<{ items: Array<{ filter: string; qos: number }> }>(b.adminPort, `/api/v1/clients/${prefix}-offline/subscriptions`, auth);
    assert.deepEqual(subs.json.items.map((s) => [s.filter, s.qos]).sort(), [['keep/#', 1], ['other', 0]]);
    assert.equal((await adminCall(b.adminPort, '/api/v1/clients?connected=maybe', auth)).status, 400);
    for (const c of clients) await disconnect(c);
  });

  it('kicks a v5 client with DISCONNECT 0x98 Administrative action, and refuses to kick one that is not connected', async (t) => {
    const b = await startAdminBroker(t);
    const id = `${uniq('kick')}/with/slashes`;
    const client = await connect(b.mqttPort, { clientId: id, version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
    const path = `/api/v1/clients/${encodeURIComponent(id)}`;
    const kicked = await adminCall(b.adminPort, `${path}/kick`, { method: 'POST', authorization: b.basicAuth });
    assert.equal(kicked.status, 200);
    const packet = await client.expect(PacketType.DISCONNECT);
    assert.equal(packet.reasonCode, 0x98);
    await client.waitClosed();
    await waitUntil(() => b.server.broker.sessions.get(id)?.link === undefined, 'the session is offline');
    assert.equal((await adminCall(b.adminPort, `${path}/kick`, { method: 'POST', authorization: b.basicAuth })).status, 409);
    assert.equal((await adminCall(b.adminPort, '/api/v1/clients/nobody-here/kick', { method: 'POST', authorization: b.basicAuth })).status, 404);
    const discarded = await adminCall(b.adminPort, path, { method: 'DELETE', authorization: b.basicAuth });
    assert.equal(discarded.status, 200);
    assert.equal(b.server.broker.sessions.get(id), undefined);
  });

  it('browses retained messages by filter and deletes one, as an empty retained publish would', async (t) => {
    const b = await startAdminBroker(t);
    const pub = await connect(b.mqttPort, { clientId: uniq('retainer') });
    for (const [topic, payload] of [['r/a/1', 'one'], ['r/a/2', 'two'], ['r/b/1', 'three']]) {
      await publish(pub, topic!, payload!, { qos: 1, retain: true });
    }
    const auth = { authorization: b.bearerAuth };
    const browse = await adminCall<Page<RetainedView>>(b.adminPort, `/api/v1/retained?filter=${encodeURIComponent('r/a/+')}`, auth);
    assert.deepEqual(browse.json.items.map((m) => [m.topic, m.payload, m.encoding]), [['r/a/1', 'one', 'utf8'], ['r/a/2', 'two', 'utf8']]);
    const deleted = await adminCall(b.adminPort, `/api/v1/retained?topic=${encodeURIComponent('r/a/1')}`, { ...auth, method: 'DELETE' });
    assert.equal(deleted.status, 200);
    const late = await connect(b.mqttPort, { clientId: uniq('late') });
    await subscribe(late, [['r/a/#', 0]]);
    const [only] = await receive(late, 1);
    assert.equal(only!.topic, 'r/a/2');
    assert.equal(await late.quietFor(100), true);
    assert.equal((await adminCall(b.adminPort, '/api/v1/retained?topic=r/a/1', { ...auth, method: 'DELETE' })).status, 404);
    assert.equal((await adminCall(b.adminPort, '/api/v1/retained?filter=a/%23/b', auth)).status, 400);
    await disconnect(pub);
    await disconnect(late);
  });

  it('publishes to subscribers, keeps retained messages, and refuses what clients may not publish', async (t) => {
    const b = await startAdminBroker(t);
    const sub = await connect(b.mqttPort, { clientId: uniq('listener') });
    await subscribe(sub, [['api/#', 1]]);
    const auth = { authorization: b.basicAuth, method: 'POST' };
    const sent = await adminCall<{ deliveries: number }>(b.adminPort, '/api/v1/publish', { ...auth, body: { topic: 'api/hello', payload: 'from the API', qos: 1, retain: true } });
    assert.equal(sent.status, 200);
    assert.equal(sent.json.deliveries, 1);
    const [message] = await receive(sub, 1);
    assert.equal(message!.payload.toString(), 'from the API');
    assert.equal(b.server.broker.retained.get('api/hello')?.payload.toString(), 'from the API');
    const binary = await adminCall(b.adminPort, '/api/v1/publish', { ...auth, body: { topic: 'api/bin', payload: Buffer.from([0, 1, 2]).toString('base64'), encoding: 'base64' } });
    assert.equal(binary.status, 200);
    assert.deepEqual([...(await receive(sub, 1))[0]!.payload], [0, 1, 2]);
    const refused: Array<[unknown, number]> = [
      [{ topic: '$SYS/broker/version', payload: 'x' }, 403], [{ topic: 'a/+', payload: 'x' }, 400], [{ topic: '' }, 400],
      [{ topic: 'a', qos: 3 }, 400], [{ topic: 'a', retain: 'yes' }, 400], [[1, 2], 400],
    ];
    for (const [body, status] of refused) {
      assert.equal((await adminCall(b.adminPort, '/api/v1/publish', { ...auth, body })).status, status, JSON.stringify(body));
    }
    const notJson = await adminCall(b.adminPort, '/api/v1/publish', { ...auth, headers: { 'content-type': 'text/plain' } });
    assert.equal(notJson.status, 415);
    assert.equal(await sub.quietFor(100), true);
    await disconnect(sub);
  });

  it('keeps a topic tree with message counts, last payloads and retained flags, and reports changes since a version', async (t) => {
    const b = await startAdminBroker(t, 'sys_interval 0');
    const pub = await connect(b.mqttPort, { clientId: uniq('tree') });
    for (let i = 1; i <= 3; i++) await publish(pub, 'tree/a', `a${i}`, { qos: 1 });
    await publish(pub, 'tree/b', 'kept', { qos: 1, retain: true });
    const auth = { authorization: b.bearerAuth };
    const all = (await adminCall<TopicChangesView>(b.adminPort, '/api/v1/topics?since=0', auth)).json;
    assert.equal(all.full, true);
    const byTopic = new Map(all.topics.map((e) => [e.topic, e]));
    assert.deepEqual([byTopic.get('tree/a')?.messages, byTopic.get('tree/a')?.payload, byTopic.get('tree/a')?.retained], [3, 'a3', false]);
    assert.deepEqual([byTopic.get('tree/b')?.messages, byTopic.get('tree/b')?.retained], [1, true]);
    await publish(pub, 'tree/c', 'new', { qos: 1 });
    const changes = (await adminCall<TopicChangesView>(b.adminPort, `/api/v1/topics?since=${all.version}`, auth)).json;
    assert.equal(changes.full, false);
    assert.deepEqual(changes.topics.map((e) => e.topic), ['tree/c']);
    await disconnect(pub);
  });

  it('answers 405 with the allowed methods for a known path and a wrong method', async (t) => {
    const b = await startAdminBroker(t);
    const answer = await adminCall(b.adminPort, '/api/v1/stats', { method: 'DELETE', authorization: b.bearerAuth });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get('allow'), 'GET, HEAD');
  });
});
