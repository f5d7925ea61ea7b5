import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { hashPassword } from '../../src/auth/index.js';
import { encodePacket } from '../../src/protocol/index.js';
import { makeCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freePort } from '../helpers/ports.js';
import { connectPacket } from '../helpers/raw-client.js';

/** A CONNECT with a wrong password, sent from another loopback address (another source); resolves with its CONNACK's return code. */
function wrongPassword(port: number, i: number, sockets: Socket[]): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    sockets.push(socket);
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(undefined));
    socket.once('data', (bytes: Buffer) => resolve(bytes[0] === 0x20 ? bytes[3] : undefined));
    socket.on('connect', () => {
      socket.write(encodePacket(connectPacket({ clientId: `flood-${i}`, username: 'alice', password: Buffer.from(`guess-${i}`) }), 4));
    });
  });
}

describe('unauthenticated clients cannot lock the others out', () => {
  let dir: string;
  let broker: SpawnedMidge;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'midge-flood-'));
    // PBKDF2 at 100,000 iterations: each wrong password costs the broker real work, as in production.
    const lines = await Promise.all([['alice', 'wonderland'], ['bob', 'builder']].map(async ([user, password]) =>
      `${user}:${(await hashPassword(password!, { iterations: 100_000 })).encoded}`));
    writeFileSync(join(dir, 'passwd'), `${lines.join('\n')}\n`);
    broker = await spawnMidge({
      cwd: dir, args: ['--log-level', 'warn', '--no-persistence'], placeholders: { dir },
      config: 'listener {port} 127.0.0.1\npassword_file {dir}/passwd\n',
    });
  });
  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('admits alice (known password) and bob (first login) while 1,100 wrong passwords arrive from another address', async () => {
    await endMqttJs(await connectMqttJs(broker.port, { username: 'alice', password: 'wonderland' }));
    const sockets: Socket[] = [];
    try {
      const flood = Array.from({ length: 1100 }, (_, i) => wrongPassword(broker.port, i, sockets));
      // Let the flood land first.
      await new Promise((r) => setTimeout(r, 300));
      const alice = await connectMqttJs(broker.port, { username: 'alice', password: 'wonderland', clientId: 'alice-during-flood' }, 10_000);
      const bob = await connectMqttJs(broker.port, { username: 'bob', password: 'builder', clientId: 'bob-during-flood' }, 10_000);
      await Promise.all([endMqttJs(alice), endMqttJs(bob)]);
      const answers = await Promise.all(flood);
      const refusedUnchecked = answers.filter((rc) => rc === 3).length;
      const checkedWrong = answers.filter((rc) => rc === 4).length;
      assert.equal(answers.filter((rc) => rc === 0).length, 0);
      // The flood's cost stays with its source: few of its passwords were hashed at all.
      assert.ok(checkedWrong <= 100, `${checkedWrong} wrong passwords were hashed, ${refusedUnchecked} refused unchecked`);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('closes TLS, WSS and HTTPS sockets that never send a ClientHello within connect_timeout, so a broker with 128 descriptors keeps serving', async (t) => {
    if (!requireBinary(t, PRLIMIT)) return;
    const certs = makeCertificates();
    t.after(() => certs.cleanup());
    const [tlsPort, wssPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const tls = 'certfile {cert}\nkeyfile {key}\n';
    const limited = await spawnMidge({
      wrapper: [PRLIMIT, '--nofile=128:128'], args: ['--no-persistence'],
      placeholders: { tls: tlsPort, wss: wssPort, admin: adminPort, cert: certs.serverCert, key: certs.serverKey },
      config: `connect_timeout 1\nallow_anonymous true\nlistener {port} 127.0.0.1\nlistener {tls} 127.0.0.1\n${tls}`
        + `listener {wss} 127.0.0.1\nprotocol websockets\n${tls}listener {admin} 127.0.0.1\nprotocol http\n${tls}`,
    });
    t.after(() => limited.stop());
    const silent: Socket[] = [];
    t.after(() => { for (const s of silent) s.destroy(); });
    const open = (port: number) => new Promise<Socket>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
      socket.on('error', () => resolve(socket));
      silent.push(socket);
    });
    const sockets = await Promise.all([
      ...Array.from({ length: 200 }, () => open(tlsPort)), ...Array.from({ length: 20 }, () => open(wssPort)), ...Array.from({ length: 20 }, () => open(adminPort)),
    ]);
    const closed = sockets.map((s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))));
    // The plain listener keeps its own share of the descriptors.
    await endMqttJs(await connectMqttJs(limited.port, {}, 3000));
    // Within the connect timeout every silent socket is closed, and the TLS listener serves again.
    await Promise.race([Promise.all(closed), new Promise((_, reject) => setTimeout(() => reject(new Error(`${sockets.filter((s) => !s.destroyed).length} silent sockets still open`)), 5000))]);
    const ca = readFileSync(certs.caCert);
    await endMqttJs(await connectMqttJs(tlsPort, { protocol: 'mqtts', ca, servername: 'localhost' }, 3000));
  });
});

/** util-linux's prlimit: runs a command with a lower descriptor limit. */
const PRLIMIT = '/usr/bin/prlimit';
