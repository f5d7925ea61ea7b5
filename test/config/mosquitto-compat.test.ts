import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configWarnings } from '../../src/config/index.js';
import { ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
const etc = (name: string): string => sandbox.path(`etc/mosquitto/${name}`);

before(() => {
  for (const name of ['passwd', 'acl', 'ca_certificates/ca.crt', 'certs/server.crt', 'certs/server.key']) sandbox.write(`etc/mosquitto/${name}`, 'x\n');
  sandbox.write('etc/mosquitto/conf.d/README', 'Place your local configuration in this directory.\n');
  sandbox.write('etc/mosquitto/conf.d/limits.conf', '# site limits\nmax_queued_bytes 10485760\n');
  sandbox.folder('var/lib/mosquitto');
});
after(() => sandbox.cleanup());

/** A production mosquitto.conf as a Mosquitto 2.0 user writes one. */
function productionConf(): string {
  return `# Config file for mosquitto
#
# See mosquitto.conf(5) for more information.

pid_file /run/mosquitto/mosquitto.pid
user mosquitto

persistence true
persistence_location ${sandbox.path('var/lib/mosquitto/')}
autosave_interval 300
persistent_client_expiration 14d

log_dest file /var/log/mosquitto/mosquitto.log
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information
log_timestamp true

max_inflight_messages 40
max_queued_messages 5000
max_packet_size 262144
message_size_limit 131072
max_keepalive 300
retain_available true
sys_interval 30

allow_anonymous false
password_file ${etc('passwd')}
acl_file ${etc('acl')}

# =================================================================
# Listeners
# =================================================================

# Plain MQTT for services on this host
listener 1883 localhost

# MQTT over TLS for field devices
listener 8883
protocol mqtt
cafile ${etc('ca_certificates/ca.crt')}
certfile ${etc('certs/server.crt')}
keyfile ${etc('certs/server.key')}
tls_version tlsv1.2
require_certificate false
max_connections 5000

# WebSockets over TLS for the dashboard
listener 9001
protocol websockets
certfile ${etc('certs/server.crt')}
keyfile ${etc('certs/server.key')}

include_dir ${etc('conf.d')}
`;
}

describe('a mosquitto.conf from a Mosquitto 2.0 installation', () => {
  it('resolves with its listeners, TLS keys, limits and security as mosquitto would apply them', () => {
    const config = sandbox.load('etc/mosquitto/mosquitto.conf', productionConf());
    const security = { allowAnonymous: false, passwordFile: etc('passwd'), aclFile: etc('acl'), allowZeroLengthClientId: true };
    const tls = {
      certfile: etc('certs/server.crt'), keyfile: etc('certs/server.key'), cafile: undefined, capath: undefined, crlfile: undefined,
      ciphers: undefined, tlsVersion: undefined, requireCertificate: false, useIdentityAsUsername: false, useSubjectAsUsername: false,
    };
    const plain = { tls: undefined, encrypted: false, websocketsPath: undefined, confidential: false, socketDomain: undefined, security };
    assert.deepEqual(config.listeners, [
      { ...plain, port: 1883, address: 'localhost', protocol: 'mqtt', maxConnections: Infinity },
      { ...plain, port: 8883, address: undefined, protocol: 'mqtt', maxConnections: 5000, encrypted: true, tls: { ...tls, cafile: etc('ca_certificates/ca.crt'), tlsVersion: 'tlsv1.2' } },
      { ...plain, port: 9001, address: undefined, protocol: 'websockets', maxConnections: Infinity, encrypted: true, tls },
    ]);
    assert.deepEqual(config.limits, {
      maxPacketSize: 262144, maxPayloadSize: 131072, maxInflightMessages: 40, maxQueuedMessages: 5000, maxQueuedBytes: 10485760,
      maxQueuedBytesTotal: 1073741824, slowConsumerTimeout: 5, slowConsumerDisconnect: false,
      maxTopicLevels: 128, connectTimeout: 10, maxKeepalive: 300, maxSessionExpiryInterval: 14 * 86400, topicAliasMaximum: 10,
      maxQos: 2, retainAvailable: true, maxConnections: Infinity,
    });
    assert.deepEqual(config.persistence, { enabled: true, location: sandbox.path('var/lib/mosquitto'), sync: 'normal' });
    assert.equal(config.operations.sysInterval, 30);
    assert.deepEqual(config.acceptedWithoutEffect, ['autosave_interval', 'user']);
    assert.equal(config.operations.pidFile, '/run/mosquitto/mosquitto.pid');
    assert.deepEqual(config.operations.logDestinations, [{ kind: 'file', path: '/var/log/mosquitto/mosquitto.log' }, { kind: 'stdout' }]);
    assert.deepEqual(config.operations.logTypes, ['error', 'warning', 'notice', 'information']);
  });

  it('warns only about the mosquitto options that have no effect in midge', () => {
    const file = sandbox.path('etc/mosquitto/mosquitto.conf');
    const warnings = configWarnings(sandbox.load('etc/mosquitto/mosquitto.conf', productionConf()));
    assert.deepEqual(warnings.map((w) => w.slice(0, w.indexOf(' has no effect'))), [
      `${file}:10: autosave_interval`, `${file}:6: user`,
    ]);
  });

  it("loads Debian's stock mosquitto.conf, whose conf.d holds only a README", () => {
    const config = sandbox.load('debian.conf', `# Place your local configuration in /etc/mosquitto/conf.d/
#
# A full description of the configuration file is at
# /usr/share/doc/mosquitto/examples/mosquitto.conf.example

pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location ${sandbox.path('var/lib/mosquitto/')}

log_dest file /var/log/mosquitto/mosquitto.log

include_dir ${sandbox.path('etc/mosquitto/conf.d')}
`);
    assert.deepEqual(config.listeners.map((l) => [l.port, l.address, l.security.allowAnonymous]), [[1883, '127.0.0.1', true]]);
    assert.equal(config.persistence.location, sandbox.path('var/lib/mosquitto'));
    assert.equal(config.limits.maxQueuedBytes, 10485760, 'conf.d/limits.conf was read');
  });
});
