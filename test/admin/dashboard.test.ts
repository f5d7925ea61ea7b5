import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { IDisconnectPacket } from 'mqtt';
import type { Page } from 'playwright-core';
import { writePasswordFile } from '../helpers/admin.js';
import { CHROMIUM, launchChromium, logIntoDashboard } from '../helpers/browser.js';
import { requireBinary } from '../helpers/external.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freePort } from '../helpers/ports.js';
import { frozenSubscriber } from '../flow/helpers.js';

const run = promisify(execFile);
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const PAGES = ['Overview', 'Clients', 'Subscriptions', 'Topics', 'Subscribe', 'Publish', 'Server'];

/** midge with an admin listener, an admin user `ops` and a user `bob` who is not an admin. */
async function dashboardBroker(t: TestContext, extra: string[] = []): Promise<{ midge: SpawnedMidge; adminPort: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'midge-dashboard-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const passwordFile = await writePasswordFile(dir, { ops: 'dashboard-pw', bob: 'bobs-pw' });
  const adminPort = await freePort();
  const midge = await spawnMidge({
    config: [
      `password_file ${passwordFile}`, 'admin_user ops', 'persistence false', 'sys_interval 1', ...extra,
      'listener {port} 127.0.0.1', 'allow_anonymous true', `listener ${adminPort} 127.0.0.1`, 'protocol http', '',
    ].join('\n'),
  });
  t.after(() => midge.stop());
  return { midge, adminPort };
}

/** The page is no wider than the window: nothing makes the phone scroll sideways. */
async function assertNoHorizontalOverflow(page: Page, where: string): Promise<void> {
  const { scroll, inner, widest } = await page.evaluate(() => {
    let widest = '';
    let right = 0;
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const box = el.getBoundingClientRect();
      // Content inside a scroller (a wide table, the topic tree) may be wider: the scroller is not.
      if (box.right > right && !el.closest('.table-wrap, .tree')) {
        right = box.right;
        widest = `${el.tagName.toLowerCase()}.${el.className}`;
      }
    }
    return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, widest: `${widest} ends at ${Math.round(right)}` };
  });
  assert.ok(scroll <= inner, `${where}: the page is ${scroll} px wide in a ${inner} px window (${widest})`);
}

/** The figure of a chart, once it has points and its time axis at least two labels. */
async function chartFigure(page: Page, title: string) {
  const figure = page.locator('figure.chart', { hasText: title });
  await page.waitForFunction((t) => Array.from(document.querySelectorAll<HTMLElement>('figure.chart'))
    .some((f) => f.textContent?.includes(t) && Number(f.dataset.points) > 0 && f.dataset.timeAxis?.includes(' ')), title);
  return figure;
}

describe('the web dashboard in chromium', () => {
  it('at 1280 px: logs in, charts with a time axis and tooltips, a live subscribe panel fed by mosquitto_pub, publish, topics and kick', async (t) => {
    if (!requireBinary(t, CHROMIUM) || !requireBinary(t, MOSQUITTO_PUB)) return;
    const { midge, adminPort } = await dashboardBroker(t);
    const sensor = await connectMqttJs(midge.port, { clientId: 'dash-sensor', protocolVersion: 5 });
    t.after(() => endMqttJs(sensor, true));
    const inbox = collect(sensor);
    const farewell = new Promise<IDisconnectPacket>((resolve) => sensor.once('disconnect', resolve));
    await sensor.subscribeAsync('demo/#', { qos: 1 });

    const browser = await launchChromium({ width: 1280, height: 900 });
    t.after(() => browser.close());
    const { page } = browser;
    await logIntoDashboard(page, adminPort, 'ops', 'dashboard-pw');
    await page.getByText('Connected clients').waitFor();

    // Charts: a time axis of clock times, and a tooltip with the values under the pointer.
    const messages = await chartFigure(page, 'Messages per second');
    const ticks = (await messages.getAttribute('data-time-axis'))!.split(' ');
    assert.ok(ticks.length >= 2 && ticks.every((l) => /^\d\d:\d\d(:\d\d)?$/.test(l)), `time axis: ${ticks.join(' ')}`);
    const plot = messages.locator('.u-over');
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
    const tooltip = messages.locator('.chart-tooltip');
    await tooltip.waitFor({ state: 'visible' });
    assert.match(await tooltip.innerText(), /^\d\d:\d\d:\d\d\nin: [\d.,]+\nout: [\d.,]+\ndropped: [\d.,]+$/);

    // Reloading keeps the charts' history: the server kept it.
    const reloadedAt = Date.now();
    await page.waitForTimeout(1500);
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const again = await chartFigure(page, 'Messages per second');
    assert.ok(Date.parse((await again.getAttribute('data-from'))!) < reloadedAt - 1000, 'the chart starts before the reload');

    // The subscribe panel shows what mosquitto_pub publishes.
    await page.getByRole('link', { name: 'Subscribe' }).click();
    await page.getByLabel('Topic filter').fill('demo/#');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByText('Subscribed to demo/#').waitFor();
    await run(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(midge.port), '-t', 'demo/from-mosquitto', '-m', 'hello from mosquitto_pub']);
    await page.locator('.live-item[data-topic="demo/from-mosquitto"]').getByText('hello from mosquitto_pub').waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();

    await page.getByRole('link', { name: 'Publish' }).click();
    await page.getByLabel('Topic').fill('demo/hello');
    await page.getByLabel('Payload').fill('hello from the dashboard');
    await page.getByLabel('Retain').check();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('delivered to 1 session').waitFor();
    const received = await inbox.waitFor(2);
    assert.deepEqual(received.map((m) => m.payload.toString()), ['hello from mosquitto_pub', 'hello from the dashboard']);

    await page.getByRole('link', { name: 'Topics' }).click();
    const hello = page.locator('[data-topic="demo/hello"]');
    await hello.getByText('hello from the dashboard').waitFor();
    await hello.getByText('retained').waitFor();
    await sensor.publishAsync('demo/live', 'tick 42', { qos: 1 });
    await page.locator('[data-topic="demo/live"]').getByText('tick 42').waitFor();

    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.locator('tr[data-filter="demo/#"][data-client-id="dash-sensor"]').waitFor();
    await page.getByRole('link', { name: 'Server' }).click();
    await page.getByText('This broker runs alone').waitFor();
    const mqttRow = page.locator(`tr[data-listener="mqtt:${midge.port}"]`);
    assert.deepEqual(await mqttRow.locator('td').allInnerTexts(), [`mqtt:${midge.port}`, 'mqtt', '127.0.0.1', String(midge.port), '1']);

    await page.getByRole('link', { name: 'Clients' }).click();
    const row = page.locator('tr[data-client-id="dash-sensor"]');
    await row.getByRole('button', { name: 'Kick' }).click();
    await row.getByRole('button', { name: 'Confirm kick' }).click();
    assert.equal((await farewell).reasonCode, 0x98);
    await row.waitFor({ state: 'detached' });
  });

  it('at 420 px: the header and every page fit the phone\'s width, and a user who is not an admin is told so', async (t) => {
    if (!requireBinary(t, CHROMIUM)) return;
    const { midge, adminPort } = await dashboardBroker(t);
    const sensor = await connectMqttJs(midge.port, { clientId: 'a-phone-sensor-with-a-rather-long-client-identifier', protocolVersion: 5 });
    t.after(() => endMqttJs(sensor, true));
    await sensor.subscribeAsync('plant/+/line-with-a-long-name/+/temperature', { qos: 1 });
    await sensor.publishAsync('plant/hall-7/line-with-a-long-name/press-12/temperature', '{"celsius":21.5,"sensor":"pt100"}', { retain: true });

    const browser = await launchChromium({ width: 420, height: 860 });
    t.after(() => browser.close());
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${adminPort}/`);
    await page.getByLabel('User').fill('bob');
    await page.getByLabel('Password', { exact: true }).fill('bobs-pw');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('bob is not an admin user').waitFor();
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Wrong user name, password or token').waitFor();
    await assertNoHorizontalOverflow(page, 'login');

    await logIntoDashboard(page, adminPort, 'ops', 'dashboard-pw');
    await chartFigure(page, 'Messages per second');
    const header = (await page.locator('header.top').boundingBox())!;
    assert.ok(header.height <= 130, `the header takes ${header.height} px`);
    for (const chart of await page.locator('figure.chart').all()) {
      const box = (await chart.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= 420, `a chart spans ${box.x}..${box.x + box.width}`);
    }
    for (const name of PAGES) {
      await page.getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { name, exact: true }).waitFor();
      await page.waitForTimeout(300);
      await assertNoHorizontalOverflow(page, name);
    }
  });

  it('shows flow control: a subscriber that stopped reading is marked slow, with what it lost, and the overview counts it', async (t) => {
    if (!requireBinary(t, CHROMIUM)) return;
    const { midge, adminPort } = await dashboardBroker(t, ['slow_consumer_timeout 1', 'max_queued_messages 20']);
    const frozen = await frozenSubscriber(midge.port, 'flow/burst', 0);
    t.after(() => frozen.client.socket.destroy());
    const publisher = await connectMqttJs(midge.port, { clientId: 'flow-publisher', protocolVersion: 5 });
    t.after(() => endMqttJs(publisher, true));
    // 8 MiB to a subscriber that reads nothing: its socket and its queue of 20 fill, it turns slow after 1 s,
    // and what does not fit is dropped (QoS 0 allows it) rather than holding the publisher for ever.
    const payload = Buffer.alloc(4096, 1);
    for (let i = 0; i < 2000; i++) publisher.publish('flow/burst', payload, { qos: 0 });

    const browser = await launchChromium({ width: 1280, height: 900 });
    t.after(() => browser.close());
    const { page } = browser;
    await logIntoDashboard(page, adminPort, 'ops', 'dashboard-pw');
    await page.locator('.card', { hasText: 'Flow control' }).getByText('1 slow consumer now').waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Clients' }).click();
    const row = page.locator(`tr[data-client-id="${frozen.clientId}"]`);
    await row.locator('.badge.warn', { hasText: 'slow' }).waitFor({ timeout: 30_000 });
    const cells = await row.locator('td').allInnerTexts();
    assert.ok(Number(cells[7]!.replace(/,/g, '')) > 0, `dropped for the frozen subscriber: ${cells[7]}`);
    assert.match((await row.locator('td').nth(7).getAttribute('title'))!, /queue-full: \d/);
    await page.locator('tr[data-client-id="flow-publisher"]').getByText('connected').waitFor();
  });
});
