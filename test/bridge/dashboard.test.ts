/**
 * The dashboard's bridges page, in chromium: a bridge's state, remote, queue and last
 * error as they change.
 */
import { after, describe, test } from 'node:test';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';
import { requireBinary } from '../helpers/external.js';
import { freePort } from '../helpers/ports.js';
import { bridgeConnected, startConfigured, Started } from './helpers.js';

const TOKEN = 'bridge-dashboard-token-0123456789';
const started = new Started();
after(() => started.close());

describe('the bridges page of the dashboard', () => {
  test('shows a bridge connected, then waiting with its queue growing and the last error once the remote is gone', async (t) => {
    if (!requireBinary(t, CHROMIUM)) return;
    const cloudPort = await freePort();
    const cloud = await startConfigured(`listener ${cloudPort} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 0\n`);
    let cloudRunning = true;
    started.add(async () => {
      if (cloudRunning) await cloud.stop();
    });
    const edge = await started.midge([
      `admin_token ${TOKEN}`, 'listener 0 127.0.0.1', 'protocol http',
      'connection cloud', `address 127.0.0.1:${cloudPort}`, 'remote_clientid edge-dash', 'restart_timeout 30', 'topic up/# out 1',
    ]);
    await bridgeConnected(edge.server);
    const browser = await launchChromium();
    started.add(() => browser.close());
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${edge.server.admin!.port}/#/bridges`);
    await page.getByLabel('or admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Bridges' }).waitFor();
    const row = page.locator('tr[data-bridge="cloud"]');
    await row.getByText('connected', { exact: true }).waitFor();
    await row.getByText(`mqtt://127.0.0.1:${cloudPort}`).waitFor();

    cloudRunning = false;
    await cloud.stop();
    await row.getByText('waiting', { exact: true }).waitFor();
    const local = await started.watch(edge.port, []);
    for (let i = 0; i < 7; i++) await local.client.publish('up/x', `m${i}`, { qos: 1 });
    // Queued (7) is the fourth cell; the last error names why the connection ended.
    await row.locator('td').nth(3).getByText('7', { exact: true }).waitFor();
    await row.locator('td').last().filter({ hasText: /\S/ }).waitFor();
  });
});
