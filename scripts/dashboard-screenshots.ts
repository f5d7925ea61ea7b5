/**
 * Takes the dashboard screenshots in docs/ (dashboard-overview, -topics, -clients,
 * -subscriptions, -subscribe, -server, and -phone-overview, -phone-subscribe at
 * 420 px): starts the built broker with an admin listener, simulates a small plant
 * of sensors for about a minute, and photographs each page with Debian's chromium.
 * Run once after `npm run build`:
 *
 *   node --import tsx scripts/dashboard-screenshots.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { writePasswordFile } from '../test/helpers/admin.js';
import { launchChromium, logIntoDashboard } from '../test/helpers/browser.js';
import { ROOT, spawnMidge } from '../test/helpers/midge.js';
import { connectMqttJs, endMqttJs } from '../test/helpers/mqttjs.js';
import { freePort } from '../test/helpers/ports.js';

const SECONDS = Number(process.env.SECONDS_OF_TRAFFIC ?? 60);

/** A sensor publishing a reading every `everyMs`, its rate swelling and ebbing so the charts have shape. */
function sensor(client: MqttClient, topic: string, everyMs: number, reading: (n: number) => string, retain = false): () => void {
  let n = 0;
  let timer: NodeJS.Timeout;
  const tick = () => {
    n++;
    client.publish(topic, reading(n), { qos: n % 3 === 0 ? 1 : 0, retain });
    const swell = 1 + 0.8 * Math.sin(n / 15);
    timer = setTimeout(tick, everyMs / swell);
  };
  tick();
  return () => clearTimeout(timer);
}

const USERS: Record<string, string> = { ops: 'screenshot', home: 'home-pw', factory: 'factory-pw', fleet: 'fleet-pw' };

/** Connects the simulated devices and starts their sensors; returns how to stop them. */
async function simulate(port: number, clients: MqttClient[]): Promise<Array<() => void>> {
  const connectAs = async (clientId: string, username: string) => {
    const c = await connectMqttJs(port, { clientId, username, password: USERS[username], protocolVersion: 5 });
    clients.push(c);
    return c;
  };
  const kitchen = await connectAs('kitchen-sensor', 'home');
  const lamp = await connectAs('living-room-lamp', 'home');
  const press = await connectAs('press-line-1', 'factory');
  const truck = await connectAs('truck-7', 'fleet');
  for (const id of ['grafana-bridge', 'node-red', 'alarm-panel']) (await connectAs(id, 'ops')).subscribe('#', { qos: 1 });
  lamp.subscribe('home/living-room/lamp/set', { qos: 1 });
  press.subscribe('$share/line-1/factory/line-1/commands/#', { qos: 2 });
  truck.subscribe('fleet/truck-7/route', { qos: 1, nl: true });
  return [
    sensor(kitchen, 'home/kitchen/temperature', 300, (n) => (21 + Math.sin(n / 20)).toFixed(1)),
    sensor(kitchen, 'home/kitchen/humidity', 900, (n) => String(45 + (n % 7))),
    sensor(lamp, 'home/living-room/lamp', 4000, (n) => (n % 2 ? 'on' : 'off'), true),
    sensor(press, 'factory/line-1/press/pressure', 150, (n) => (180 + 12 * Math.sin(n / 9)).toFixed(2)),
    sensor(press, 'factory/line-1/press/status', 2500, (n) => JSON.stringify({ state: n % 5 ? 'running' : 'maintenance', cycle: n }), true),
    sensor(truck, 'fleet/truck-7/gps', 500, (n) => JSON.stringify({ lat: +(52.52 + n / 1e4).toFixed(5), lon: +(13.4 + n / 2e4).toFixed(5), speed: 60 + (n % 20) })),
  ];
}

const dir = await mkdtemp(join(tmpdir(), 'midge-shots-'));
const passwordFile = await writePasswordFile(dir, USERS);
const adminPort = await freePort();
const midge = await spawnMidge({
  config: [`password_file ${passwordFile}`, 'admin_user ops', 'persistence false', 'sys_interval 2',
    'listener {port} 127.0.0.1', `listener ${adminPort} 127.0.0.1`, 'protocol http', ''].join('\n'),
});
const clients: MqttClient[] = [];
let stops: Array<() => void> = [];
const desktop = await launchChromium({ width: 1280, height: 860 });
const phone = await launchChromium({ width: 420, height: 860 });
const shot = (page: Page, name: string) => page.screenshot({ path: join(ROOT, `docs/dashboard-${name}.png`) });
try {
  stops = await simulate(midge.port, clients);
  await logIntoDashboard(desktop.page, adminPort, 'ops', 'screenshot');
  await logIntoDashboard(phone.page, adminPort, 'ops', 'screenshot');
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  await shot(desktop.page, 'overview');
  await shot(phone.page, 'phone-overview');
  await photographTopics(desktop.page);
  await photographClients(desktop.page);
  await desktop.page.getByRole('link', { name: 'Subscriptions' }).click();
  await desktop.page.locator('tr[data-filter="#"]').first().waitFor();
  await shot(desktop.page, 'subscriptions');
  for (const [page, name] of [[desktop.page, 'subscribe'], [phone.page, 'phone-subscribe']] as const) {
    await page.getByRole('link', { name: 'Subscribe' }).click();
    await page.getByLabel('Topic filter').fill('factory/#');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('.live-item[data-topic="factory/line-1/press/pressure"]').first().waitFor();
    await page.waitForTimeout(3000);
    await shot(page, name);
    await page.getByRole('button', { name: 'Stop' }).click();
  }
  await desktop.page.getByRole('link', { name: 'Server' }).click();
  await desktop.page.locator('tr[data-listener]').first().waitFor();
  await shot(desktop.page, 'server');
} finally {
  for (const stop of stops) stop();
  await desktop.close();
  await phone.close();
  for (const c of clients) await endMqttJs(c, true);
  await midge.stop();
  await rm(dir, { recursive: true, force: true });
}

async function photographTopics(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Topics' }).click();
  await page.getByRole('button', { name: 'Expand factory/line-1/press' }).click();
  const status = page.locator('[data-topic="factory/line-1/press/status"]');
  await status.waitFor();
  await status.click();
  await page.waitForTimeout(1500);
  await shot(page, 'topics');
}

async function photographClients(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Clients' }).click();
  await page.locator('tr[data-client-id="truck-7"]').click();
  await page.getByText('Subscriptions of truck-7').waitFor();
  await page.locator('tr[data-client-id="node-red"]').click();
  await page.getByText('Subscriptions of node-red').waitFor();
  await shot(page, 'clients');
}
