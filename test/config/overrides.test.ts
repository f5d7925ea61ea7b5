import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configWarnings, loadConfig } from '../../src/config/index.js';
import { assertConfigError, ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
before(() => sandbox.write('pw', 'u:p\n'));
after(() => sandbox.cleanup());

describe('environment overrides', () => {
  it('overrides a global option from the file with MIDGE_<OPTION>', () => {
    const config = sandbox.load('env.conf', 'max_packet_size 1024\nlistener 1883\n', {
      env: { MIDGE_MAX_PACKET_SIZE: '2048', MIDGE_ALLOW_ANONYMOUS: 'true', PATH: '/usr/bin' },
    });
    assert.equal(config.limits.maxPacketSize, 2048);
    assert.equal(config.listeners[0]!.security.allowAnonymous, true);
  });

  it('applies without a config file too, and reads process.env when no env is given', () => {
    assert.equal(loadConfig({ env: { MIDGE_SYS_INTERVAL: '0' }, cwd: sandbox.dir }).operations.sysInterval, 0);
    const saved = process.env['MIDGE_MAX_TOPIC_LEVELS'];
    process.env['MIDGE_MAX_TOPIC_LEVELS'] = '12';
    try {
      assert.equal(loadConfig({ cwd: sandbox.dir }).limits.maxTopicLevels, 12);
    } finally {
      if (saved === undefined) delete process.env['MIDGE_MAX_TOPIC_LEVELS'];
      else process.env['MIDGE_MAX_TOPIC_LEVELS'] = saved;
    }
  });

  it('names the variable when its value is invalid', () => {
    assertConfigError(() => loadConfig({ env: { MIDGE_MAX_PACKET_SIZE: 'lots' }, cwd: sandbox.dir }),
      'environment variable MIDGE_MAX_PACKET_SIZE', "invalid max_packet_size 'lots'");
    assertConfigError(() => loadConfig({ env: { MIDGE_PASSWORD_FILE: 'nope' }, cwd: sandbox.dir }),
      'environment variable MIDGE_PASSWORD_FILE', "password_file 'nope': no such file");
  });

  it('refuses listener and structural options from the environment', () => {
    assertConfigError(() => loadConfig({ env: { MIDGE_CERTFILE: 'pw' }, cwd: sandbox.dir }),
      'environment variable MIDGE_CERTFILE', 'certfile is a listener option and cannot be set from the environment');
    assertConfigError(() => loadConfig({ env: { MIDGE_LISTENER: '1883' }, cwd: sandbox.dir }),
      'environment variable MIDGE_LISTENER', 'listener shapes the config file');
  });

  it('reports an unknown MIDGE_ variable as a warning, not an error', () => {
    const config = loadConfig({ env: { MIDGE_MAX_PAKET_SIZE: '1', MIDGE_CONFIG: '/etc/midge.conf' }, cwd: sandbox.dir });
    assert.deepEqual(configWarnings(config), ['environment variable MIDGE_MAX_PAKET_SIZE is not a midge setting and was ignored']);
  });

  it('replaces a list option outright rather than appending to the file’s list', () => {
    const config = sandbox.load('lists.conf', 'confidential_topics a/#\n', { env: { MIDGE_CONFIDENTIAL_TOPICS: 'b/# c/+' } });
    assert.deepEqual(config.confidentialTopics, ['b/#', 'c/+']);
  });

  it('sets a security option on every listener when per_listener_settings is true', () => {
    const config = sandbox.load('per.conf', 'per_listener_settings true\nlistener 1883\nallow_anonymous true\nlistener 1884\n', {
      env: { MIDGE_ALLOW_ANONYMOUS: 'false', MIDGE_PASSWORD_FILE: 'pw' },
    });
    assert.deepEqual(config.listeners.map((l) => [l.security.allowAnonymous, l.security.passwordFile]), [
      [false, sandbox.path('pw')], [false, sandbox.path('pw')],
    ]);
  });
});

describe('command-line overrides', () => {
  it('apply after the environment', () => {
    const config = loadConfig({ env: { MIDGE_MAX_QOS: '0' }, cwd: sandbox.dir, overrides: { settings: { max_qos: 1, retain_available: false, admin_user: ['root'] } } });
    assert.deepEqual([config.limits.maxQos, config.limits.retainAvailable, config.auth.adminUsers], [1, false, ['root']]);
  });

  it('name the command line when a setting is invalid or unknown', () => {
    assertConfigError(() => loadConfig({ env: {}, cwd: sandbox.dir, overrides: { settings: { max_qos: 5 } } }), 'command line', "invalid max_qos '5'");
    assertConfigError(() => loadConfig({ env: {}, cwd: sandbox.dir, overrides: { settings: { max_qoss: 1 } } }), 'command line', "unknown option 'max_qoss'");
  });

  it('move the default listener with port and host, keeping it local when the host is loopback', () => {
    const config = loadConfig({ env: {}, cwd: sandbox.dir, overrides: { port: 0, host: '::1' } });
    assert.deepEqual(config.listeners.map((l) => [l.port, l.address, l.security.allowAnonymous]), [[0, '::1', true]]);
  });

  it('leave local-only mode for a host beyond loopback, so anonymous clients are refused', () => {
    const config = loadConfig({ env: {}, cwd: sandbox.dir, overrides: { host: '0.0.0.0' } });
    assert.deepEqual(config.listeners.map((l) => [l.port, l.address, l.security.allowAnonymous]), [[1883, '0.0.0.0', false]]);
  });

  it('change the first MQTT listener of a config file', () => {
    const config = sandbox.load('cli.conf', 'listener 1884\nprotocol mqttsn\nlistener 1883\nlistener 1885\n', { overrides: { port: 0 } });
    assert.deepEqual(config.listeners.map((l) => l.port), [1884, 0, 1885]);
  });

  it('refuse an invalid port or host, and a port clash they cause', () => {
    assertConfigError(() => loadConfig({ env: {}, cwd: sandbox.dir, overrides: { port: 70000 } }), 'command line', "invalid port '70000'");
    assertConfigError(() => loadConfig({ env: {}, cwd: sandbox.dir, overrides: { host: 'a b' } }), 'command line', "invalid host 'a b'");
    const file = sandbox.path('clash.conf');
    assertConfigError(() => sandbox.load('clash.conf', 'listener 1883\nlistener 1884\n', { overrides: { port: 1884 } }), `${file}:2`, 'clashes with listener 1884');
  });
});
