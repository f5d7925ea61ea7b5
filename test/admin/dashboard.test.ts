import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IDisconnectPacket } from 'mqtt';
import { writePasswordFile } from '../helpers/admin.js';
import { CHROMIUM, launchChromium, logIntoDashboard } from '../helpers/browser.js';
import { requireBinary } from '../helpers/external.js';
import { spawnMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freePort } from '../helpers/ports.js';

describe('the web dashboard in chromium', () => {
  it('logs in, shows a connected client, publishes from the form into the live topic tree, and kicks the client', async (t) => {
    if (!requireBinary(t, CHROMIUM)) return;
    const dir = await mkdtemp(join(tmpdir(), 'midge-dashboard-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const passwordFile = await writePasswordFile(dir, { ops: 'dashboard-pw' });
    const adminPort = await freePort();
    const midge = await spawnMidge({
      config: [
        `password_file ${passwordFile}`, 'admin_user ops', 'persistence false', 'sys_interval 1',
        'listener {port} 127.0.0.1', 'allow_anonymous true', `listener ${adminPort} 127.0.0.1`, 'protocol http', '',
      ].join('\n'),
    });
    t.after(() => midge.stop());
    const sensor = await connectMqttJs(midge.port, { clientId: 'dash-sensor', protocolVersion: 5 });
    t.after(() => endMqttJs(sensor, true));
    const inbox = collect(sensor);
    const farewell = new Promise<IDisconnectPacket>((resolve) => sensor.once('disconnect', resolve));
    await sensor.subscribeAsync('demo/#', { qos: 1 });

    const browser = await launchChromium();
    t.after(() => browser.close());
    const { page } = browser;
    const shots = join(dir, 'shots');
    await logIntoDashboard(page, adminPort, 'ops', 'dashboard-pw');
    await page.getByText('Connected clients').waitFor();
    await page.screenshot({ path: join(shots, 'overview.png') });

    await page.getByRole('link', { name: 'Clients' }).click();
    const row = page.locator('tr[data-client-id="dash-sensor"]');
    await row.getByText('connected').waitFor();

    await page.getByRole('link', { name: 'Publish' }).click();
    await page.getByLabel('Topic').fill('demo/hello');
    await page.getByLabel('Payload').fill('hello from the dashboard');
    await page.getByLabel('Retain').check();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('delivered to 1 session').waitFor();
    const [received] = await inbox.waitFor(1);
    assert.equal(received!.payload.toString(), 'hello from the dashboard');

    await page.getByRole('link', { name: 'Topics' }).click();
    const hello = page.locator('[data-topic="demo/hello"]');
    await hello.getByText('hello from the dashboard').waitFor();
    await hello.getByText('retained').waitFor();
    // Live: a message published by a client appears without reloading.
    await sensor.publishAsync('demo/live', 'tick 42', { qos: 1 });
    await page.locator('[data-topic="demo/live"]').getByText('tick 42').waitFor();
    await hello.click();
    await page.locator('.topic-detail').getByText('hello from the dashboard').waitFor();
    await page.screenshot({ path: join(shots, 'topics.png') });

    await page.getByRole('link', { name: 'Clients' }).click();
    await row.getByRole('button', { name: 'Kick' }).click();
    await row.getByRole('button', { name: 'Confirm kick' }).click();
    assert.equal((await farewell).reasonCode, 0x98);
    await row.waitFor({ state: 'detached' });
  });
});
