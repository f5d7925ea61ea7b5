/**
 * The brokers the CLI tests run against. Each test file loops over {@link brokers}
 * so that `midge pub/sub/rr` are checked against every broker listed here with
 * the same expectations. Features are described broker-neutrally; each factory
 * turns them into its own configuration.
 *
 * Both Debian's mosquitto and the midge broker (`node dist/cli/main.js broker`,
 * which reads the same mosquitto.conf lines) are listed; another broker needs a
 * factory that gives the same {@link BrokerFeatures}.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCertificates } from '../helpers/certs.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';

/** Path of mosquitto_passwd, used to write password files. */
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

/** What a test needs from a broker. */
export interface BrokerFeatures {
  /** Only these users may connect (password file); anonymous clients are refused. */
  users?: Readonly<Record<string, string>>;
  /** Also a TLS listener with these certificates, requiring a client certificate signed by the CA. */
  tls?: Pick<TestCertificates, 'caCert' | 'serverCert' | 'serverKey'>;
  /** Also a plain WebSocket listener. */
  websockets?: boolean;
}

/** A broker started for a test. */
export interface CliBroker {
  host: string;
  /** The plain MQTT listener. */
  port: number;
  /** The TLS listener, when asked for. */
  tlsPort?: number;
  /** The WebSocket listener, when asked for. */
  wsPort?: number;
  stop(): Promise<void>;
}

/** One broker implementation the CLI tests run against. */
export interface BrokerFactory {
  name: string;
  /** Programs it needs; a test fails under CI=true when one is missing (requireBinary). */
  binaries: readonly string[];
  start(features?: BrokerFeatures): Promise<CliBroker>;
}

/** Writes a mosquitto-format password file (midge reads the same format). */
export function writePasswordFile(dir: string, users: Readonly<Record<string, string>>): string {
  const file = join(dir, 'passwords');
  let first = true;
  for (const [user, password] of Object.entries(users)) {
    execFileSync(MOSQUITTO_PASSWD, [...(first ? ['-c'] : []), '-b', file, user, password]);
    first = false;
  }
  return file;
}

/**
 * Listener and security lines in mosquitto.conf syntax, shared by every broker
 * that reads it. Returns the extra ports it opened.
 */
export async function featureConfig(features: BrokerFeatures, dir: string): Promise<{ config: string; tlsPort?: number; wsPort?: number }> {
  const lines: string[] = [];
  const result: { tlsPort?: number; wsPort?: number } = {};
  if (features.users) {
    lines.push(`password_file ${writePasswordFile(dir, features.users)}`, 'allow_anonymous false');
  }
  if (features.tls) {
    result.tlsPort = await freePort();
    lines.push(
      `listener ${result.tlsPort} 127.0.0.1`,
      `cafile ${features.tls.caCert}`, `certfile ${features.tls.serverCert}`, `keyfile ${features.tls.serverKey}`,
      'require_certificate true',
    );
  }
  if (features.websockets) {
    result.wsPort = await freePort();
    lines.push(`listener ${result.wsPort} 127.0.0.1`, 'protocol websockets');
  }
  return { config: lines.join('\n'), ...result };
}

/** Debian's mosquitto 2.0.11. */
export const mosquittoFactory: BrokerFactory = {
  name: 'mosquitto',
  binaries: [MOSQUITTO, MOSQUITTO_PASSWD],
  async start(features = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'midge-cli-broker-'));
    const extra = await featureConfig(features, dir);
    // Started as root, mosquitto reads password and certificate files only after
    // dropping to its own user, who cannot enter the private temp directories;
    // `user root` keeps it root (and means nothing when the tests run unprivileged).
    const broker = await startMosquitto(`user root\n${extra.config}`);
    return running(broker, extra, dir);
  },
};

/** Waits for the extra listeners, then describes a started broker; stop() also removes its directory. */
async function running(
  broker: { host: string; port: number; stop(): Promise<void> },
  extra: { tlsPort?: number; wsPort?: number },
  dir: string,
): Promise<Awaited<ReturnType<BrokerFactory['start']>>> {
  for (const port of [extra.tlsPort, extra.wsPort]) if (port) await waitForPort(port);
  return {
    host: broker.host,
    port: broker.port,
    ...(extra.tlsPort ? { tlsPort: extra.tlsPort } : {}),
    ...(extra.wsPort ? { wsPort: extra.wsPort } : {}),
    async stop() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The midge broker (`node dist/cli/main.js broker -c FILE`), which reads mosquitto.conf syntax. */
export const midgeFactory: BrokerFactory = {
  name: 'midge',
  binaries: [MOSQUITTO_PASSWD],
  async start(features = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'midge-cli-broker-'));
    const extra = await featureConfig(features, dir);
    const config = ['listener {port} 127.0.0.1', 'persistence false', ...(features.users ? [] : ['allow_anonymous true']), extra.config];
    // Imported here so that the mosquitto runs do not load the broker's sources.
    const { spawnMidge } = await import('../helpers/midge.js');
    const broker = await spawnMidge({ config: `${config.join('\n')}\n` });
    return running(broker, extra, dir);
  },
};

/**
 * Every broker the CLI tests run against: both by default; `MIDGE_CLI_BROKERS=midge`
 * (a comma-separated list of names) narrows it while working on one of them.
 */
export const brokers: readonly BrokerFactory[] = (() => {
  const all = [mosquittoFactory, midgeFactory];
  const wanted = (process.env.MIDGE_CLI_BROKERS ?? 'mosquitto,midge').split(',').map((n) => n.trim());
  return all.filter((f) => wanted.includes(f.name));
})();
