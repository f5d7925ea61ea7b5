/**
 * Loaded (`node --import`) into every `midge` the tour test runs, never into a
 * reader's. It does two things a reader does by eye:
 *
 * - Ports: a tour command without `-p` uses the default port (1883, 8883 with TLS,
 *   1884 for MQTT-SN); the test listens elsewhere, so the hook adds the test's port.
 *   Ports the command names are replaced in its text before it runs.
 * - Readiness: a reader starts a subscriber and publishes a few seconds later; the
 *   test is told on file descriptor `TOUR_MIDGE_READY_FD` as soon as a client has its
 *   CONNACK (`connected`) or SUBACK (`subscribed`), by wrapping the clients' methods.
 *
 * The test transpiles this file to JavaScript (tsx would cost every command half a
 * second) and imports the built clients from `TOUR_MIDGE_DIST`, the URL of dist/.
 */
import { writeSync } from 'node:fs';
import type * as ClientModule from '../../src/client/index.js';
import type * as SnClientModule from '../../src/sn/client/index.js';

const ports = JSON.parse(process.env.TOUR_MIDGE_PORTS ?? '{}') as Record<string, number>;
const args = process.argv.slice(2);
const command = args[0];
const given = (...flags: string[]): boolean => args.some((a) => flags.includes(a));

function addDefaultPort(): void {
  if (command === 'broker') {
    if (!given('-p', '--port', '-c', '--config', '--help')) process.argv.push('--port', String(ports['1883']));
  } else if (command === 'pub' || command === 'sub' || command === 'rr') {
    const tls = given('--cafile', '--capath');
    if (!given('-p', '--port', '-L', '--url', '--help')) process.argv.push('-p', String(ports[tls ? '8883' : '1883']));
  } else if (command === 'sn-pub' || command === 'sn-sub') {
    if (!given('-p', '--port', '--help')) process.argv.push('-p', String(ports['1884']));
  }
}

/** Wraps an async method so that its success is reported on the readiness descriptor. */
function report<T extends object, K extends keyof T>(proto: T, method: K, event: string, fd: number): void {
  const original = proto[method];
  if (typeof original !== 'function') throw new Error(`no method ${String(method)} to wrap`);
  const wrapped = function (this: unknown, ...params: unknown[]): unknown {
    const result = (original as (...p: unknown[]) => unknown).apply(this, params);
    if (result instanceof Promise) {
      result.then(() => {
        try {
          writeSync(fd, `${event}\n`);
        } catch {
          // The test stopped listening; nothing to tell.
        }
      }, () => undefined);
    }
    return result;
  };
  Object.defineProperty(proto, method, { value: wrapped, writable: true, configurable: true });
}

async function watchReadiness(fd: number, dist: string): Promise<void> {
  const client = await import(`${dist}/client/index.js`) as typeof ClientModule;
  const sn = await import(`${dist}/sn/client/index.js`) as typeof SnClientModule;
  report(client.MqttClient.prototype, 'connect', 'connected', fd);
  report(client.MqttClient.prototype, 'subscribe', 'subscribed', fd);
  report(sn.SnClient.prototype, 'connect', 'connected', fd);
  report(sn.SnClient.prototype, 'subscribe', 'subscribed', fd);
}

addDefaultPort();
const readyFd = Number(process.env.TOUR_MIDGE_READY_FD);
const dist = process.env.TOUR_MIDGE_DIST;
if (command !== 'broker' && Number.isInteger(readyFd) && readyFd > 2 && dist) await watchReadiness(readyFd, dist);
