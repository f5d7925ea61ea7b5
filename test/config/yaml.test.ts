import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { assertConfigError, ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
before(() => {
  for (const name of ['cert.pem', 'key.pem', 'ca.pem', 'pw']) sandbox.write(name, 'x\n');
});
after(() => sandbox.cleanup());

const conf = `
per_listener_settings true
max_packet_size 65536
persistent_client_expiration 2d
confidential_topics secrets/# vault/+
confidential_topics audit/#
admin_user alice
admin_user bob
mqttsn_predefined_topic 1 sensors/temp
mqttsn_predefined_topic 2 sensors/hum
log_level debug
log_dest stderr
cluster_redis_url redis://localhost:6379
cluster_node_id node-a
max_connections 1000

listener 1883 127.0.0.1
allow_anonymous true

listener 8883
certfile cert.pem
keyfile key.pem
cafile ca.pem
require_certificate true
use_identity_as_username true
password_file pw
max_connections 200

listener 9001
protocol websockets
websockets_path /mqtt
confidential true

listener 1884
protocol mqttsn
`;

const yaml = `
# the same configuration, in YAML
max_packet_size: 65536
persistent_client_expiration: 2d
confidential_topics: [secrets/#, vault/+, audit/#]
admin_user:
  - alice
  - bob
mqttsn_predefined_topic:
  - { id: 1, topic: sensors/temp }
  - 2 sensors/hum
log_level: debug
log_dest: stderr
cluster_redis_url: redis://localhost:6379
cluster_node_id: node-a
max_connections: 1000
per_listener_settings: true   # read first whatever its place
listeners:
  - port: 1883
    address: 127.0.0.1
    allow_anonymous: true
  - port: 8883
    certfile: cert.pem
    keyfile: key.pem
    cafile: ca.pem
    require_certificate: true
    use_identity_as_username: true
    password_file: pw
    max_connections: 200
  - port: 9001
    protocol: websockets
    websockets_path: /mqtt
    confidential: true
  - protocol: mqttsn   # port 1884 by default
`;

describe('YAML configuration', () => {
  it('resolves deep-equal to the same configuration written in mosquitto.conf syntax', () => {
    const fromConf = sandbox.load('same.conf', conf);
    const fromYaml = sandbox.load('same.yaml', yaml);
    assert.deepEqual(fromYaml, fromConf);
    assert.equal(fromYaml.listeners.length, 4, 'the comparison covers every listener');
    assert.equal(fromYaml.listeners[3]!.port, 1884);
  });

  it('is recognised by the .yml extension too', () => {
    assert.equal(sandbox.load('short.yml', 'max_qos: 1\n').limits.maxQos, 1);
  });

  it('reads include_dir files (mosquitto.conf syntax) where the key appears, before the listeners', () => {
    sandbox.write('yaml.d/extra.conf', 'admin_user from-include\nlistener 1885\n');
    const config = sandbox.load('include.yaml', 'admin_user: [first]\ninclude_dir: yaml.d\nlisteners:\n  - port: 1884\n');
    assert.deepEqual(config.auth.adminUsers, ['first', 'from-include']);
    assert.deepEqual(config.listeners.map((l) => l.port), [1885, 1884]);
  });

  it('loads an empty file as the defaults', () => {
    assert.deepEqual(sandbox.load('empty.yaml', '# nothing yet\n'), loadConfig({ env: {}, cwd: sandbox.dir }));
  });

  const errors: ReadonlyArray<readonly [string, string, number, string]> = [
    ['an unknown option, with the YAML name as the hint', 'max_qos: 1\n\nlisener: 1883\n', 3, "unknown option 'lisener' (did you mean 'listeners'?)"],
    ['a misspelt option whose value is a list', 'listenrs:\n  - port: 1883\n', 1, "unknown option 'listenrs' (did you mean 'listeners'?)"],
    ['a misspelt option whose value is a map', 'max_qoss:\n  value: 1\n', 1, "unknown option 'max_qoss' (did you mean 'max_qos'?)"],
    ['a misspelt list option', 'admin_users: [alice]\n', 1, "unknown option 'admin_users' (did you mean 'admin_user'?)"],
    ['a misspelt key inside a listener', 'listeners:\n  - port: 1883\n    adress: 127.0.0.1\n', 3, "unknown option 'adress' (did you mean 'address'?)"],
    ['a misspelt listener option', 'listeners:\n  - port: 1883\n    protocl: websockets\n', 3, "unknown option 'protocl' (did you mean 'protocol'?)"],
    ['a mosquitto option midge does not have', 'listeners:\n  - port: 1883\n    psk_hint: x\n', 3, 'psk_hint'],
    ['a bad value in a listener', 'listeners:\n  - port: 1883\n    protocol: quic\n', 3, "invalid protocol 'quic'"],
    ['a bad port', 'listeners:\n  - port: 99999\n', 2, "invalid listener '99999'"],
    ['a listener without a port that has no default', 'listeners:\n  - port: 1883\n  - protocol: websockets\n', 3, 'this listener needs a port'],
    ['a global option inside a listener', 'listeners:\n  - port: 1883\n    max_qos: 1\n', 3, 'max_qos is a global option: write it outside the listener'],
    ['a security option inside a listener without per_listener_settings', 'listeners:\n  - port: 1883\n    allow_anonymous: true\n', 3, 'belongs to a listener only when per_listener_settings is true'],
    ['a list for a single-valued option', 'max_qos:\n  - 1\n  - 2\n', 2, 'max_qos takes one value, not a list'],
    ['a map for a plain option', 'log_level:\n  level: info\n', 2, 'log_level takes a value, not a map'],
    ['a repeated key', 'max_qos: 1\nmax_qos: 2\n', 2, 'invalid YAML: Map keys must be unique'],
    ['broken YAML', 'max_qos: 1\nadmin_user: [alice, bob\n', 3, 'invalid YAML'],
    ['a top-level listener key', 'listener: 1883\n', 1, "in YAML, declare listeners as a list under 'listeners'"],
    ['listeners that are not a list', 'listeners: 1883\n', 1, 'listeners must be a list'],
    ['a listener that is not a map', 'listeners:\n  - 1883\n', 2, 'each entry of listeners must be a map'],
    ['a scalar document', 'just text\n', 1, 'a YAML config must be a map of options'],
    ['a missing file', 'password_file: missing\n', 1, "password_file 'missing': no such file"],
    ['a structural option inside a listener', 'listeners:\n  - port: 1883\n    bind_address: 10.0.0.1\n', 3, 'bind_address cannot be used inside a listener'],
  ];
  for (const [what, text, line, problem] of errors) {
    it(`names the file and line of ${what}`, () => {
      const file = sandbox.path('broken.yaml');
      assertConfigError(() => sandbox.load('broken.yaml', text), `${file}:${line}`, problem);
    });
  }
});
