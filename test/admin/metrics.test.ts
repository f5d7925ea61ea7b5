import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { MemoryStore } from '../../src/persistence/index.js';
import { startServer, type MidgeServer, type ServerOptions } from '../../src/server/index.js';
import { adminCall, parseMetrics } from '../helpers/admin.js';
import { connect, disconnect, publish, receive, subscribe, uniq, waitUntil } from '../helpers/flows.js';

const TOKEN = 'metrics-token-0123456789';

async function start(t: TestContext, broker: ServerOptions['broker'] = {}): Promise<{ server: MidgeServer; port: number; scrape(): Promise<Map<string, number>> }> {
  const server = await startServer({
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }], broker, sysInterval: 0,
    admin: { port: 0, adminToken: TOKEN },
  });
  t.after(() => server.close());
  const scrape = async () => {
    const answer = await adminCall(server.admin!.port, '/metrics', { authorization: `Bearer ${TOKEN}` });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
    return parseMetrics(answer.text);
  };
  return { server, port: server.listeners[0]!.port, scrape };
}

/** How much a metric grew between two scrapes (a missing one counts as 0). */
function grew(before: Map<string, number>, after: Map<string, number>, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0);
}

describe('Prometheus /metrics', () => {
  it('moves with real traffic: connections, messages and payload bytes by QoS, bytes, subscriptions', async (t) => {
    const { server, port, scrape } = await start(t);
    const before = await scrape();
    const sub = await connect(port, { clientId: uniq('m-sub') });
    await subscribe(sub, [['m/#', 1]]);
    const pub = await connect(port, { clientId: uniq('m-pub') });
    for (let i = 0; i < 4; i++) await publish(pub, 'm/zero', '0123456789');
    for (let i = 0; i < 3; i++) await publish(pub, 'm/one', '0123456789', { qos: 1 });
    await receive(sub, 7);
    const after = await scrape();
    assert.equal(grew(before, after, 'midge_publish_received_total{qos="0"}'), 4);
    assert.equal(grew(before, after, 'midge_publish_received_total{qos="1"}'), 3);
    assert.equal(grew(before, after, 'midge_publish_received_bytes_total{qos="1"}'), 30);
    assert.equal(grew(before, after, 'midge_publish_sent_total{qos="0"}'), 4);
    assert.equal(grew(before, after, 'midge_publish_sent_total{qos="1"}'), 3);
    assert.equal(grew(before, after, 'midge_connections_total'), 2);
    assert.equal(after.get('midge_clients_connected'), 2);
    assert.equal(after.get('midge_subscriptions'), 1);
    assert.ok(grew(before, after, 'midge_bytes_received_total') > 70, 'bytes received include the payloads');
    assert.ok(grew(before, after, 'midge_packets_sent_total') >= 7 + 3 + 2);
    assert.ok(after.has('midge_event_loop_lag_seconds{quantile="0.99"}'));
    await disconnect(sub);
    await disconnect(pub);
    await waitUntil(() => server.broker.stats.connectedClients === 0, 'the broker has seen both go');
    assert.equal((await scrape()).get('midge_clients_connected'), 0);
  });

  it('counts drops by reason, queue depths and withheld confidential deliveries', async (t) => {
    const { port, scrape } = await start(t, { confidentialTopics: ['secret/#'] });
    const offline = uniq('offline');
    const away = await connect(port, { clientId: offline, clean: false });
    await subscribe(away, [['q/zero', 0], ['q/one', 1]]);
    await disconnect(away);
    const plain = await connect(port, { clientId: uniq('plain') });
    await subscribe(plain, [['secret/#', 0]]);
    const pub = await connect(port, { clientId: uniq('pub') });
    await publish(pub, 'q/zero', 'lost');
    for (let i = 0; i < 3; i++) await publish(pub, 'q/one', `kept ${i}`, { qos: 1 });
    await publish(pub, 'secret/plan', 'not over plain TCP', { qos: 1 });
    const m = await scrape();
    assert.equal(m.get('midge_publish_dropped_total{reason="offline-qos0"}'), 1);
    assert.equal(m.get('midge_queued_messages'), 3);
    assert.equal(m.get('midge_session_queue_depth_max'), 3);
    assert.equal(m.get('midge_confidential_withheld_total'), 1);
    assert.equal(m.get('midge_sessions'), 3);
    assert.equal(await plain.quietFor(50), true);
    await disconnect(plain);
    await disconnect(pub);
  });

  it('reports store commit figures when the store measures them', async (t) => {
    const store = new MemoryStore();
    const { port, scrape } = await start(t, { store });
    assert.equal((await scrape()).get('midge_store_commits_total'), store.metrics.commits);
    const client = await connect(port, { clientId: uniq('durable'), clean: false });
    await subscribe(client, [['d/#', 1]]);
    await publish(client, 'd/x', 'stored', { qos: 1 });
    await receive(client, 1);
    await waitUntil(() => store.metrics.commits > 0, 'a commit');
    const m = await scrape();
    assert.ok((m.get('midge_store_commits_total') ?? 0) > 0);
    assert.ok(m.has('midge_store_commit_seconds_max'));
    await disconnect(client);
  });

  it('refuses a scrape without credentials', async (t) => {
    const { server } = await start(t);
    const answer = await adminCall(server.admin!.port, '/metrics');
    assert.equal(answer.status, 401);
    assert.doesNotMatch(answer.text, /midge_/);
  });
});
