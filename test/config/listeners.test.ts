import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configWarnings } from '../../src/config/index.js';
import { assertConfigError, ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
const tls = 'certfile cert.pem\nkeyfile key.pem\n';
before(() => {
  for (const name of ['cert.pem', 'key.pem', 'ca.pem', 'pw', 'acl']) sandbox.write(name, 'x\n');
});
after(() => sandbox.cleanup());

describe('listener blocks', () => {
  it('applies the listener options that follow a listener line to that listener only', () => {
    const config = sandbox.load('blocks.conf', [
      'listener 1883 127.0.0.1',
      'listener 8883',
      tls + 'require_certificate true',
      'listener 9001',
      'protocol websockets',
      'websockets_path /mqtt',
      'listener 1884',
      'protocol mqttsn',
    ].join('\n'));
    const summary = config.listeners.map((l) => [l.port, l.address, l.protocol, l.tls?.requireCertificate, l.websocketsPath]);
    assert.deepEqual(summary, [
      [1883, '127.0.0.1', 'mqtt', undefined, undefined],
      [8883, undefined, 'mqtt', true, undefined],
      [9001, undefined, 'websockets', undefined, '/mqtt'],
      [1884, undefined, 'mqttsn', undefined, undefined],
    ]);
  });

  it('derives encrypted: true for TLS and WSS and HTTPS, false for TCP, WebSocket, MQTT-SN and HTTP', () => {
    const config = sandbox.load('encrypted.conf', [
      'listener 1883', 'listener 8883', tls, 'listener 8080', 'protocol websockets',
      'listener 8081', 'protocol websockets', tls, 'listener 1884', 'protocol mqttsn',
      'listener 8000', 'protocol http', 'listener 8443', 'protocol http', tls,
    ].join('\n'));
    assert.deepEqual(config.listeners.map((l) => [l.port, l.encrypted]), [
      [1883, false], [8883, true], [8080, false], [8081, true], [1884, false], [8000, false], [8443, true],
    ]);
  });

  it("opens mosquitto's default listener from the legacy port and bind_address options", () => {
    const config = sandbox.load('legacy.conf', 'port 1885\nbind_address 10.0.0.1\n');
    assert.deepEqual(config.listeners.map((l) => [l.port, l.address, l.protocol]), [[1885, '10.0.0.1', 'mqtt']]);
    assert.equal(config.listeners[0]!.security.allowAnonymous, false, 'declaring a listener leaves local-only mode');
  });

  it('lets a repeated port win with a warning, as mosquitto does', () => {
    const file = sandbox.path('ports.conf');
    const config = sandbox.load('ports.conf', 'port 1885\nport 1886\n');
    assert.deepEqual(config.listeners.map((l) => l.port), [1886]);
    assert.deepEqual(configWarnings(config), [`${file}:2: port is given more than once; 1886 is used`]);
  });

  it('opens the default listener on port 1883 too when listener options precede the first listener line, and says so', () => {
    const file = sandbox.path('stray.conf');
    const config = sandbox.load('stray.conf', `# tls for what?\n${tls}listener 8883\n`);
    assert.deepEqual(config.listeners.map((l) => [l.port, l.encrypted]), [[8883, false], [1883, true]]);
    assert.ok(configWarnings(config).some((w) => w.startsWith(`${file}:2: this listener option comes before any 'listener' line`)));
  });

  it('gives an MQTT-SN default listener port 1884 when no port is written', () => {
    const config = sandbox.load('sn-default.conf', 'protocol mqttsn\n');
    assert.deepEqual(config.listeners.map((l) => [l.port, l.address, l.protocol]), [[1884, '127.0.0.1', 'mqttsn']]);
  });

  it('treats max_connections before any listener as the default and inside a block as that listener’s own', () => {
    const config = sandbox.load('maxconn.conf', 'max_connections 100\nlistener 1883\nlistener 1884\nmax_connections 5\n');
    assert.equal(config.limits.maxConnections, 100);
    assert.deepEqual(config.listeners.map((l) => l.maxConnections), [100, 5]);
  });
});

describe('per_listener_settings', () => {
  it('keeps security options global when false, wherever they are written', () => {
    const config = sandbox.load('global-sec.conf', 'listener 1883\nlistener 1884\nallow_anonymous true\npassword_file pw\n');
    for (const listener of config.listeners) {
      assert.deepEqual(listener.security, { allowAnonymous: true, passwordFile: sandbox.path('pw'), aclFile: undefined, allowZeroLengthClientId: true });
    }
  });

  it('gives each listener its own security options when true', () => {
    const config = sandbox.load('per-listener.conf', [
      'per_listener_settings true',
      'listener 1883 127.0.0.1', 'allow_anonymous true',
      'listener 8883', tls + 'password_file pw', 'acl_file acl', 'allow_zero_length_clientid false',
    ].join('\n'));
    assert.equal(config.auth.perListenerSettings, true);
    assert.deepEqual(config.listeners[0]!.security, { allowAnonymous: true, passwordFile: undefined, aclFile: undefined, allowZeroLengthClientId: true });
    assert.deepEqual(config.listeners[1]!.security, {
      allowAnonymous: false, passwordFile: sandbox.path('pw'), aclFile: sandbox.path('acl'), allowZeroLengthClientId: false,
    });
  });

  it("applies security options before the first listener to mosquitto's default listener when the config opens one", () => {
    const config = sandbox.load('per-default.conf', 'per_listener_settings true\nport 1885\nallow_anonymous true\nlistener 1886\n');
    assert.deepEqual(config.listeners.map((l) => [l.port, l.security.allowAnonymous]), [[1886, false], [1885, true]]);
  });

  it('refuses a security option that would land on a default listener the config does not open', () => {
    const file = sandbox.path('stray-sec.conf');
    assertConfigError(() => sandbox.load('stray-sec.conf', 'per_listener_settings true\nallow_anonymous false\nlistener 1883\n'), `${file}:2`,
      'with per_listener_settings true, allow_anonymous belongs to a listener');
  });

  it('refuses per_listener_settings after a security option, as mosquitto does', () => {
    const file = sandbox.path('late.conf');
    assertConfigError(() => sandbox.load('late.conf', 'allow_anonymous true\nlistener 1883\nper_listener_settings true\n'), `${file}:3`,
      `per_listener_settings must come before any security option (one is set at ${file}:1)`);
  });
});

describe('listener validation', () => {
  const cases: ReadonlyArray<readonly [string, string, number, string]> = [
    ['certfile without keyfile', 'listener 8883\n# tls\ncertfile cert.pem\n', 3, 'certfile needs keyfile on the same listener (listener 8883)'],
    ['keyfile without certfile', 'listener 8883\nkeyfile key.pem\n', 2, 'keyfile needs certfile'],
    ['cafile on a plain listener', 'listener 1883\nmax_connections 4\ncafile ca.pem\n', 3, 'cafile needs a TLS listener: set certfile and keyfile on listener 1883'],
    ['require_certificate on a plain listener', 'listener 1883\nrequire_certificate true\n', 2, 'require_certificate needs a TLS listener'],
    ['TLS on MQTT-SN', `listener 1884\nprotocol mqttsn\n${tls}`, 3, 'certfile cannot be used on listener 1884: MQTT-SN runs over UDP'],
    ['websockets_path on MQTT', 'listener 1883\nwebsockets_path /mqtt\n', 2, 'websockets_path needs protocol websockets (listener 1883 is mqtt)'],
    ['confidential on HTTP', 'listener 8000\nprotocol http\nconfidential true\n', 3, 'confidential applies to listeners clients publish through'],
    ['two certificate usernames', `listener 8883\n${tls}use_identity_as_username true\nuse_subject_as_username true\n`, 5, 'cannot both be true'],
    ['the same port twice', 'listener 1883\n\nlistener 1883\n', 3, 'listener 1883 clashes with listener 1883 at'],
    ['a port on every interface and on one address', 'listener 1883 127.0.0.1\nlistener 1883\n', 2, 'listener 1883 clashes with listener 1883 127.0.0.1'],
    ['the legacy port and a listener (the default listener comes last, as in mosquitto)', 'port 1883\nlistener 1883\n', 1, 'clashes with listener 1883 at'],
  ];
  for (const [what, text, line, problem] of cases) {
    it(`refuses ${what}, naming the line`, () => {
      const file = sandbox.path('invalid.conf');
      assertConfigError(() => sandbox.load('invalid.conf', text), `${file}:${line}`, problem);
    });
  }

  it('allows one port on two addresses, on UDP and TCP, and port 0 (ephemeral) twice', () => {
    const config = sandbox.load('ok-ports.conf', [
      'listener 1883 127.0.0.1', 'listener 1883 10.0.0.1', 'listener 1883', 'protocol mqttsn', 'listener 0', 'listener 0',
    ].join('\n'));
    assert.deepEqual(config.listeners.map((l) => l.port), [1883, 1883, 1883, 0, 0]);
  });
});
