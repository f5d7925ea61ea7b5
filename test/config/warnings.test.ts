import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configWarnings, loadConfig } from '../../src/config/index.js';
import { ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
const tls = 'certfile cert.pem\nkeyfile key.pem\n';
before(() => {
  for (const name of ['cert.pem', 'key.pem', 'pw']) sandbox.write(name, 'x\n');
});
after(() => sandbox.cleanup());

describe('configWarnings', () => {
  it('has nothing to say about the defaults', () => {
    assert.deepEqual(configWarnings(loadConfig({ env: {}, cwd: sandbox.dir })), []);
  });

  it('warns when anonymous clients may connect beyond loopback, naming the listener line', () => {
    const file = sandbox.path('anon.conf');
    const config = sandbox.load('anon.conf', 'allow_anonymous true\nlistener 1883 127.0.0.1\nlistener 1884\nlistener 1885 192.168.1.5\n');
    assert.deepEqual(configWarnings(config), [
      `${file}:3: listener 1884 lets anonymous clients connect from every interface`,
      `${file}:4: listener 1885 192.168.1.5 lets anonymous clients connect from 192.168.1.5`,
    ]);
  });

  it('warns when a confidential topic can be published over an unencrypted listener (issue 10)', () => {
    const file = sandbox.path('confidential.conf');
    const config = sandbox.load('confidential.conf', `password_file pw\nconfidential_topics secrets/# vault/+\nlistener 8883\n${tls}listener 1884\nprotocol mqttsn\n`);
    assert.deepEqual(configWarnings(config), [
      `${file}:2: confidential topics (secrets/# vault/+) can be published over unencrypted listener 1884`,
      `${file}:3: listener 8883 is encrypted and a plain listener is open beyond loopback, so it is confidential: what is published `
        + `on it reaches encrypted subscribers only (write 'confidential false' on it to deliver it in clear as well)`,
    ]);
  });

  it('makes a TLS listener confidential by default, and says so, when a plain listener is open beyond loopback', () => {
    const file = sandbox.path('tls-and-plain.conf');
    const config = sandbox.load('tls-and-plain.conf', `password_file pw\nlistener 1883\nlistener 8883\n${tls}listener 8081\nprotocol websockets\n${tls}`);
    assert.deepEqual(config.listeners.map((l) => l.confidential), [false, true, true]);
    assert.deepEqual(configWarnings(config).filter((w) => w.includes('so it is confidential')).map((w) => w.split(': ')[0]), [`${file}:3`, `${file}:6`]);
  });

  it('keeps a TLS listener open to plain subscribers when it says confidential false, or when plain listeners are loopback-only', () => {
    const optOut = sandbox.load('opt-out.conf', `password_file pw\nlistener 1883\nlistener 8883\n${tls}confidential false\n`);
    assert.deepEqual(optOut.listeners.map((l) => l.confidential), [false, false]);
    assert.deepEqual(configWarnings(optOut), []);
    const local = sandbox.load('local.conf', `password_file pw\nlistener 1883 127.0.0.1\nlistener 8883\n${tls}`);
    assert.deepEqual(local.listeners.map((l) => l.confidential), [false, false]);
  });

  it('does not warn about confidential topics when every publishing listener is encrypted', () => {
    const config = sandbox.load('all-tls.conf', `password_file pw\nconfidential_topics secrets/#\nlistener 8883\n${tls}listener 8000 127.0.0.1\nprotocol http\n`);
    assert.deepEqual(configWarnings(config), []);
  });

  it('warns when a listener marked confidential is not encrypted', () => {
    const file = sandbox.path('conf-listener.conf');
    const config = sandbox.load('conf-listener.conf', 'listener 1883 127.0.0.1\nconfidential true\n');
    assert.deepEqual(configWarnings(config), [`${file}:1: listener 1883 127.0.0.1 treats everything published on it as confidential, but it is not encrypted`]);
  });

  it('warns about certificate usernames without required certificates, a short admin token, and admins without a password file', () => {
    const file = sandbox.path('misc.conf');
    const config = sandbox.load('misc.conf', `admin_user ops\nadmin_token short\nlistener 8883 127.0.0.1\n${tls}use_identity_as_username true\n`);
    assert.deepEqual(configWarnings(config), [
      `${file}:3: listener 8883 127.0.0.1 takes usernames from client certificates but does not set require_certificate true`,
      `${file}:1: admin_user names users, but no password_file is set to authenticate them`,
      `${file}:2: admin_token is shorter than 16 characters`,
    ]);
  });

  it('warns when the admin API is served unencrypted beyond loopback while a token protects it', () => {
    const config = sandbox.load('admin.conf', 'admin_token 0123456789abcdef0123\nlistener 8000\nprotocol http\n');
    assert.deepEqual(configWarnings(config).map((w) => w.replace(/^.*?: /, '')), ['listener 8000 serves the admin API unencrypted beyond loopback: the admin token travels in clear']);
  });

  it('keeps its warnings, without locations, for a copy of the config', () => {
    const config = sandbox.load('copy.conf', 'allow_anonymous true\nlistener 1884\n');
    assert.deepEqual(configWarnings(structuredClone(config)), ['listener 1884 lets anonymous clients connect from every interface']);
  });
});
