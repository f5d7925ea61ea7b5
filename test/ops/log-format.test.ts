/**
 * The logging adapter on its own: mosquitto's wording for the events it has, the
 * log_type of each line, syslog lines through a Unix datagram socket, and the rate limit
 * of failed-connection lines.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BrokerStats, notMqttStart, type Logger } from '../../src/broker/index.js';
import { ConnectionFailures } from '../../src/broker/connection-failures.js';
import { createLog, formatText } from '../../src/logging/index.js';
import { categoryOf } from '../../src/logging/categories.js';
import { requireBinary } from '../helpers/external.js';
import { waitUntil } from '../helpers/flows.js';

const PYTHON = '/usr/bin/python3';

describe('text lines', () => {
  it('say why a client went away in mosquitto\'s words', () => {
    const say = (reasonCode: number, reason: string) => formatText('info', 'client disconnected', { clientId: 'c1', reasonCode, reason }, undefined, undefined);
    assert.equal(say(0x00, 'client sent DISCONNECT'), 'INFO  Client c1 disconnected.\n');
    assert.equal(say(0x80, 'connection lost'), 'INFO  Client c1 closed its connection.\n');
    assert.equal(say(0x8d, 'keep alive timeout'), 'INFO  Client c1 has exceeded timeout, disconnecting.\n');
    assert.equal(say(0x8e, 'session taken over'), 'INFO  Client c1 already connected, closing old connection.\n');
    assert.equal(say(0x81, 'bad remaining length'), 'INFO  Client c1 disconnected due to malformed packet: bad remaining length.\n');
  });

  it('show fields the sentence does not use as key=value, and an unknown event as its message', () => {
    assert.equal(formatText('warn', 'store slow', { store: 'sqlite', ms: 250, note: 'two words' }, { component: 'admin' }, '2026-01-01T00:00:00.000Z'),
      '2026-01-01T00:00:00.000Z WARN  store slow store=sqlite ms=250 note="two words" component=admin\n');
  });

  it('put each kind of event under mosquitto\'s log_type', () => {
    assert.equal(categoryOf('info', 'client connected'), 'notice');
    assert.equal(categoryOf('info', 'store restored'), 'information');
    assert.equal(categoryOf('info', 'subscribed'), 'subscribe');
    assert.equal(categoryOf('debug', 'publishing will'), 'debug');
    assert.equal(categoryOf('warn', 'client connected'), 'warning');
    assert.equal(categoryOf('error', 'unexpected error'), 'error');
  });
});

describe('log_dest syslog', () => {
  it('sends each line to the syslog socket with the daemon facility and mosquitto\'s severity', async (t) => {
    if (!requireBinary(t, PYTHON) || !requireBinary(t, '/usr/bin/logger')) return;
    const dir = mkdtempSync(join(tmpdir(), 'midge-syslog-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const socket = join(dir, 'log');
    // A syslog daemon's socket: one datagram received, printed, done.
    const daemon = spawn(PYTHON, ['-c', [
      'import socket, sys', 's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)', `s.bind(${JSON.stringify(socket)})`,
      's.settimeout(10)', 'sys.stdout.write(s.recv(4096).decode())',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = '';
    daemon.stdout.on('data', (d: Buffer) => { received += d.toString(); });
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    t.after(() => daemon.kill());
    await waitUntil(() => existsSync(socket), 'the socket exists', 5000);
    const log = createLog({ level: 'info', format: undefined, destinations: [{ kind: 'syslog' }], types: ['notice'], timestamp: true, timestampFormat: undefined, syslogSocket: socket });
    log.logger.info({ clientId: 'sensor-9', remoteAddress: '127.0.0.1', remotePort: 5000, protocolVersion: 5, cleanStart: true, keepAlive: 30 }, 'client connected');
    await exited;
    log.close();
    // daemon (3) * 8 + notice (5)
    assert.match(received, /^<29>.*midge\[\d+\]: INFO {2}New client connected from 127\.0\.0\.1:5000 as sensor-9 \(p5, c1, k30\)\.$/);
  });

  it('refuses to start without a syslog socket, saying so', () => {
    assert.throws(() => createLog({ level: 'info', format: undefined, destinations: [{ kind: 'syslog' }], types: ['notice'], timestamp: true, timestampFormat: undefined, syslogSocket: '/nonexistent/log' }),
      /no syslog socket at \/nonexistent\/log/);
  });
});

describe('failed connections', () => {
  it('are logged once a minute per address, the next line saying how many were not, and all counted', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger: Logger = { error() {}, warn() {}, debug() {}, info: (fields) => lines.push(fields as Record<string, unknown>) };
    let now = 0;
    const stats = new BrokerStats();
    const failures = new ConnectionFailures(logger, stats, () => now);
    const from = (remoteAddress: string) => ({ listener: 'mqtt:1883', remoteAddress, remotePort: 1 });
    for (let i = 0; i < 5; i++) failures.report(from('10.0.0.1'), 'protocol', 'noise');
    failures.report(from('10.0.0.2'), 'tls', 'no certificate');
    now = 61_000;
    failures.report(from('10.0.0.1'), 'protocol', 'noise');
    assert.deepEqual(lines.map((l) => [l.remoteAddress, l.suppressed]), [['10.0.0.1', undefined], ['10.0.0.2', undefined], ['10.0.0.1', 4]]);
    assert.equal(stats.connectionsFailed, 7);
    assert.deepEqual([...stats.failedConnectionsByKind], [['protocol', 6], ['tls', 1]]);
  });

  it('are recognised from their first bytes: TLS, HTTP, noise; a CONNECT is not a failure', () => {
    assert.equal(notMqttStart(Buffer.from([0x10, 0x0c])), undefined);
    // A CONNECT with reserved flags is MQTT, refused by the codec with its reason code [MQTT-2.1.3-1].
    assert.equal(notMqttStart(Buffer.from([0x11, 0x0c])), undefined);
    assert.match(notMqttStart(Buffer.from([0x16, 0x03, 0x01]))!, /TLS handshake on a plain MQTT port/);
    assert.match(notMqttStart(Buffer.from('POST /api HTTP/1.1\r\n'))!, /an HTTP request \("POST \/api HTTP\/1\.1"\)/);
    assert.match(notMqttStart(Buffer.from([0x20, 0x02]))!, /first byte 0x20 is not a CONNECT/);
  });
});
