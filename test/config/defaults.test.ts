import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_LIMITS, loadConfig, type MidgeConfig } from '../../src/config/index.js';
import { ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
after(() => sandbox.cleanup());

/** What midge runs with when given nothing: Mosquitto 2's local-only mode, durable. */
function expectedDefaults(cwd: string): MidgeConfig {
  const security = { allowAnonymous: true, passwordFile: undefined, aclFile: undefined, allowZeroLengthClientId: true };
  return {
    listeners: [{
      port: 1883, address: '127.0.0.1', protocol: 'mqtt', encrypted: false, tls: undefined, maxConnections: Infinity,
      websocketsPath: undefined, confidential: false, socketDomain: undefined, security,
    }],
    auth: { perListenerSettings: false, ...security, adminUsers: [], adminToken: undefined, scramUsersFile: undefined, sessionOwner: 'user' },
    limits: {
      maxPacketSize: 1048576, maxPayloadSize: Infinity, maxInflightMessages: 20, maxQueuedMessages: 100000, maxQueuedBytes: 67108864,
      maxQueuedBytesTotal: 1073741824, slowConsumerTimeout: 5, slowConsumerDisconnect: false,
      maxTopicLevels: 128, connectTimeout: 10, maxKeepalive: 65535, maxSessionExpiryInterval: 4294967295,
      topicAliasMaximum: 10, maxQos: 2, retainAvailable: true, maxConnections: Infinity,
    },
    persistence: { enabled: true, location: join(cwd, 'data'), sync: 'normal' },
    operations: {
      sysInterval: 10, logLevel: 'info', traceClients: [], responseInformationPrefix: 'response/', pidFile: undefined,
      logFormat: undefined, logDestinations: [{ kind: 'stderr' }], logTypes: undefined, logTimestamp: true, logTimestampFormat: undefined,
    },
    mqttsn: { gatewayId: 1, advertiseInterval: 0, predefinedTopics: [], maxClients: 1000, maxClientsPerAddress: 100, maxKeepAlive: 3600 },
    confidentialTopics: [],
    cluster: undefined,
    bridges: [],
    acceptedWithoutEffect: [],
  };
}

describe('defaults', () => {
  it('listens on 127.0.0.1:1883 with anonymous clients allowed, persistence on, when there is no config file', () => {
    assert.deepEqual(loadConfig({ env: {}, cwd: sandbox.dir }), expectedDefaults(sandbox.dir));
  });

  it('stays in local-only mode for a config file that declares no listener', () => {
    const config = sandbox.load('no-listener.conf', '# only tuning\nmax_qos 1\n');
    assert.deepEqual(config, { ...expectedDefaults(sandbox.dir), limits: { ...DEFAULT_LIMITS, maxQos: 1 } });
  });

  it('refuses anonymous clients once the config declares a listener, unless allow_anonymous is true', () => {
    const closed = sandbox.load('listener.conf', 'listener 1883\n');
    assert.equal(closed.auth.allowAnonymous, false);
    assert.deepEqual(closed.listeners.map((l) => [l.address, l.security.allowAnonymous]), [[undefined, false]]);
    const open = sandbox.load('open.conf', 'listener 1883\nallow_anonymous true\n');
    assert.deepEqual(open.listeners.map((l) => l.security.allowAnonymous), [true]);
  });

  it('lets an explicit allow_anonymous false hold even in local-only mode', () => {
    assert.equal(sandbox.load('closed.conf', 'allow_anonymous false\n').listeners[0]!.security.allowAnonymous, false);
  });

  it('publishes the documented default limits', () => {
    assert.deepEqual(loadConfig({ env: {}, cwd: sandbox.dir }).limits, DEFAULT_LIMITS);
    assert.equal(DEFAULT_LIMITS.maxPacketSize, 1024 * 1024);
  });
});
