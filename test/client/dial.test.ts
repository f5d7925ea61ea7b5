/** What `dial` makes of a URL, and its failures, on loopback only. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { dial, parseDialTarget } from '../../src/transport/dial.js';
import { webSocketAddress } from '../../src/transport/dial-ws.js';
import { freePort } from '../helpers/ports.js';

describe('URLs', () => {
  test('each scheme picks its transport and default port', () => {
    const cases: [string, string, boolean, number][] = [
      ['mqtt://h', 'tcp', false, 1883], ['tcp://h', 'tcp', false, 1883], ['mqtts://h', 'tcp', true, 8883],
      ['ssl://h', 'tcp', true, 8883], ['ws://h', 'ws', false, 80], ['wss://h', 'ws', true, 443], ['mqtt://h:1999', 'tcp', false, 1999],
    ];
    for (const [url, kind, tls, port] of cases) {
      assert.deepEqual(parseDialTarget(new URL(url)), { kind, tls, host: 'h', port }, url);
    }
  });

  test('an IPv6 literal loses its brackets for the socket and keeps them in a WebSocket address', () => {
    const target = parseDialTarget(new URL('ws://[::1]:9001'));
    assert.equal(target.host, '::1');
    assert.equal(webSocketAddress(new URL('ws://[::1]:9001'), target), 'ws://[::1]:9001/mqtt');
  });

  test('a WebSocket URL without a path gets /mqtt, one with a path keeps it', () => {
    const own = new URL('wss://u:p@example.net/custom?x=1');
    assert.equal(webSocketAddress(own, parseDialTarget(own)), 'wss://example.net:443/custom?x=1');
    const bare = new URL('ws://example.net:8080');
    assert.equal(webSocketAddress(bare, parseDialTarget(bare), '/other'), 'ws://example.net:8080/other');
  });

  test('an unknown scheme is refused by name', () => {
    assert.throws(() => parseDialTarget(new URL('http://h')), /unsupported URL scheme 'http:'/);
  });
});

describe('dial', () => {
  test('a TCP stream carries bytes both ways unchanged', async () => {
    const server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const stream = await dial(`mqtt://127.0.0.1:${port}`);
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const echoed = new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => {
          chunks.push(c);
          if (Buffer.concat(chunks).length >= bytes.length) resolve(Buffer.concat(chunks));
        });
      });
      stream.write(bytes);
      assert.deepEqual(await echoed, bytes);
      stream.destroy();
    } finally {
      server.close();
    }
  });

  test('nothing listening rejects with ECONNREFUSED', async () => {
    const port = await freePort();
    await assert.rejects(dial(`mqtt://127.0.0.1:${port}`), { code: 'ECONNREFUSED' });
  });

  test('a WebSocket server that refuses the upgrade rejects with its HTTP status', async () => {
    const server = createServer((s) => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await assert.rejects(dial(`ws://127.0.0.1:${port}`), /HTTP 404/);
    } finally {
      server.close();
    }
  });
});
