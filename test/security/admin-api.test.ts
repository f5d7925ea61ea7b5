import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { startAdmin } from '../../src/admin/index.js';
import { Broker, silentLogger } from '../../src/broker/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startFromConfig } from '../../src/server/index.js';
import { adminCall, basic, writePasswordFile } from '../helpers/admin.js';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';
import { makeCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { ADMIN, startAdminBroker } from '../admin/fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A page on another origin (`localhost` instead of `127.0.0.1`) that posts a form to `target` as soon as it loads. */
async function attackerSite(t: TestContext, target: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<form id="f" method="POST" action="${target}"></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://localhost:${(server.address() as AddressInfo).port}/`;
}

/** GET over HTTPS, trusting `ca`; resolves with the parsed JSON body. */
function httpsJson(port: number, path: string, authorization: string, ca: Buffer): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, servername: 'localhost', headers: { authorization }, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status of a GET with Basic credentials sent from `localAddress` (another loopback address is another source). */
function statusFrom(port: number, localAddress: string, authorization: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/whoami', localAddress, headers: { authorization }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin API against other sites and plain HTTP', () => {
  it('refuses a cross-site form POST that would kick a client, though the browser holds the admin\'s Basic credentials (Chromium)', async (t) => {
    if (!requireBinary(t, CHROMIUM)) return;
    const admin = await startAdminBroker(t);
    const victim = await connectMqttJs(admin.mqttPort, { clientId: 'victim', protocolVersion: 5 });
    t.after(() => endMqttJs(victim, true));
    const browser = await launchChromium();
    t.after(() => browser.close());
    const { page } = browser;
    // The admin logged in once (the browser's Basic prompt): the browser now holds the credentials.
    const origin = `http://127.0.0.1:${admin.adminPort}`;
    await page.goto(`http://${ADMIN.user}:${ADMIN.password}@127.0.0.1:${admin.adminPort}/api/v1/whoami`);
    assert.match(await page.content(), /"name":"ops"/);
    // Then visits another site, whose page posts a form to the admin API.
    await page.goto(await attackerSite(t, `${origin}/api/v1/clients/victim/kick`));
    await page.waitForURL(`${origin}/api/v1/clients/victim/kick`);
    assert.match(await page.content(), /own origin/);
    await sleep(200);
    assert.equal(victim.connected, true, 'the client was not kicked');
    // The dashboard's own requests (same origin) still change things.
    const kicked = await page.evaluate(async () => (await fetch('/api/v1/clients/victim/kick', { method: 'POST', headers: { 'x-requested-with': 'midge' } })).status);
    assert.equal(kicked, 200);
  });

  it('withholds confidential payloads of /api/v1/retained and /api/v1/topics over plain HTTP, and shows them over HTTPS', async (t) => {
    const admin = await startAdminBroker(t, 'confidential_topics vault/#');
    const publisher = await connectMqttJs(admin.mqttPort);
    await publisher.publishAsync('vault/gold', 'forty bars', { qos: 1, retain: true });
    await publisher.publishAsync('lobby/news', 'open day', { qos: 1, retain: true });
    await endMqttJs(publisher);
    const retained = await adminCall<{ items: Array<{ topic: string; payload: string; withheld?: boolean; size: number }> }>(admin.adminPort, '/api/v1/retained', { authorization: admin.basicAuth });
    const byTopic = new Map(retained.json.items.map((i) => [i.topic, i]));
    assert.deepEqual(byTopic.get('vault/gold'), { ...byTopic.get('vault/gold'), payload: '', withheld: true, size: 10 });
    assert.equal(byTopic.get('lobby/news')!.payload, 'open day');
    const topics = await adminCall<{ topics: Array<{ topic: string; payload: string; withheld?: boolean }> }>(admin.adminPort, '/api/v1/topics', { authorization: admin.basicAuth });
    assert.doesNotMatch(topics.text, /forty bars/);
    assert.equal(topics.json.topics.find((e) => e.topic === 'vault/gold')!.withheld, true);

    const certs = makeCertificates();
    t.after(() => certs.cleanup());
    const dir = await mkdtemp(join(tmpdir(), 'midge-admin-tls-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const passwordFile = await writePasswordFile(dir, { [ADMIN.user]: ADMIN.password });
    await writeFile(join(dir, 'midge.conf'), [
      `password_file ${passwordFile}`, `admin_user ${ADMIN.user}`, 'persistence false', 'confidential_topics vault/#',
      'listener 0 127.0.0.1', 'allow_anonymous true', 'listener 0 127.0.0.1', 'protocol http', `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`, '',
    ].join('\n'));
    const { server } = await startFromConfig(loadConfig({ file: join(dir, 'midge.conf'), env: {} }), silentLogger);
    t.after(() => server.close());
    const tlsPublisher = await connectMqttJs(server.listeners[0]!.port);
    await tlsPublisher.publishAsync('vault/gold', 'forty bars', { qos: 1, retain: true });
    await endMqttJs(tlsPublisher);
    const overTls = await httpsJson(server.admin!.port, '/api/v1/retained', basic(ADMIN.user, ADMIN.password), readFileSync(certs.caCert)) as { items: Array<{ payload: string }> };
    assert.equal(overTls.items[0]!.payload, 'forty bars');
  });

  it('checks a password for every user name, admin or not, so a refusal does not tell which names are admins', async (t) => {
    const checked: string[] = [];
    const broker = new Broker({ logger: silentLogger });
    const server = await startAdmin(broker, {
      port: 0, adminUsers: ['ops'], verifyAdmin: async (user) => { checked.push(user); return false; },
    });
    t.after(() => server.close());
    assert.equal((await adminCall(server.port, '/api/v1/whoami', { authorization: basic('ops', 'guess') })).status, 401);
    assert.equal((await adminCall(server.port, '/api/v1/whoami', { authorization: basic('nobody', 'guess') })).status, 401);
    assert.deepEqual(checked, ['ops', 'nobody']);
  });

  it('makes a source that keeps failing admin logins wait (429, Retry-After) while the admin logs in from elsewhere', async (t) => {
    const admin = await startAdminBroker(t);
    const wrong = basic(ADMIN.user, 'not-the-password');
    const answers: number[] = [];
    for (let i = 0; i < 12; i++) answers.push((await statusFrom(admin.adminPort, '127.0.0.3', wrong)).status);
    assert.deepEqual(answers.slice(0, 10), Array(10).fill(401), 'the first failures are answered');
    assert.deepEqual(answers.slice(11), [429], 'then the source waits');
    const waiting = await statusFrom(admin.adminPort, '127.0.0.3', admin.basicAuth);
    assert.equal(waiting.status, 429, 'even the right password waits its turn');
    assert.ok(Number(waiting.retryAfter) >= 1);
    assert.equal((await statusFrom(admin.adminPort, '127.0.0.4', admin.basicAuth)).status, 200);
  });
});

