import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatConfig, loadConfig, REDACTED, type MidgeConfig } from '../../src/config/index.js';
import { ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
before(() => {
  for (const name of ['cert.pem', 'key.pem', 'ca.pem', 'pw', 'acl']) sandbox.write(name, 'x\n');
});
after(() => sandbox.cleanup());

const TOKEN = 'tok-3f9a1c77e2b84d05a6';

const rich = `
admin_token ${TOKEN}
admin_user ops
password_file pw
acl_file acl
cluster_redis_url redis://midge:hunter2@cache:6379/2
cluster_node_id node-1
cluster_wait_replicas 1
max_packet_size 4096
persistent_client_expiration 1w
confidential_topics secrets/#
trace_clients sensor-*
response_information_prefix replies/
mqttsn_predefined_topic 5 plant/temperature
user mosquitto
pid_file /run/midge.pid
listener 1883 127.0.0.1
listener 8883
certfile cert.pem
keyfile key.pem
cafile ca.pem
tls_version tlsv1.2
listener 8080
protocol websockets
websockets_path /mqtt
confidential true
listener 1884
protocol mqttsn
listener 8000 127.0.0.1
protocol http
`;

/** What survives a trip through formatConfig: everything but secrets and options that had no effect. */
function comparable(config: MidgeConfig): MidgeConfig {
  return {
    ...config,
    auth: { ...config.auth, adminToken: config.auth.adminToken && REDACTED },
    cluster: config.cluster && { ...config.cluster, redisUrl: config.cluster.redisUrl.replace('hunter2', REDACTED) },
    acceptedWithoutEffect: [],
  };
}

describe('formatConfig', () => {
  it('redacts admin_token and the password of cluster_redis_url', () => {
    const output = formatConfig(sandbox.load('secrets.conf', rich));
    assert.ok(!output.includes(TOKEN), 'the token must not appear');
    assert.ok(!output.includes('hunter2'), 'the Redis password must not appear');
    assert.match(output, new RegExp(`^admin_token: ${REDACTED}$`, 'm'));
    assert.match(output, new RegExp(`^cluster_redis_url: redis://midge:${REDACTED}@cache:6379/2$`, 'm'));
  });

  it('redacts both passwords of a redis+sentinel:// cluster_redis_url and keeps the rest', () => {
    const output = formatConfig(sandbox.load('sentinel.conf', 'cluster_redis_url redis+sentinel://:hunter2@s1:26379,s2/prod?sentinelPassword=swordfish\n'));
    assert.ok(!output.includes('hunter2') && !output.includes('swordfish'), 'no password may appear');
    assert.match(output, new RegExp(`^cluster_redis_url: redis\\+sentinel://:${REDACTED}@s1:26379,s2/prod\\?sentinelPassword=${REDACTED}$`, 'm'));
  });

  it('prints YAML that loads back into the same configuration', () => {
    const original = sandbox.load('rich.conf', rich);
    const reloaded = sandbox.load('printed.yaml', formatConfig(original));
    assert.deepEqual(reloaded, comparable(original));
    assert.equal(reloaded.listeners.length, 5);
  });

  it('prints the defaults in full when there is no config file, and they load back too', () => {
    const defaults = loadConfig({ env: {}, cwd: sandbox.dir });
    const output = formatConfig(defaults);
    assert.match(output, /^# midge configuration as resolved from defaults \(no config file\)$/m);
    for (const line of ['max_packet_size: 1048576', 'max_inflight_messages: 20', 'persistence: true', 'allow_anonymous: true']) {
      assert.match(output, new RegExp(`^${line}$`, 'm'));
    }
    assert.deepEqual(sandbox.load('defaults.yaml', output), defaults);
  });

  it('says per listener whether it is encrypted and lists options accepted without effect', () => {
    const output = formatConfig(sandbox.load('comments.conf', rich));
    const transports = output.split('\n').filter((line) => /^ {2}# /.test(line)).map((line) => line.trim());
    assert.deepEqual(transports, [
      '# mqtt, not encrypted', '# mqtts, encrypted', '# ws, not encrypted', '# MQTT-SN over UDP, not encrypted', '# http, not encrypted',
    ]);
    assert.match(output, /^# accepted without effect \(see the warnings\): user$/m);
    assert.match(output, /^pid_file: \/run\/midge.pid$/m);
  });

  it('prints security options per listener when per_listener_settings is true', () => {
    const config = sandbox.load('per.conf', 'per_listener_settings true\nlistener 1883\nallow_anonymous true\nlistener 1884\npassword_file pw\n');
    const output = formatConfig(config);
    assert.doesNotMatch(output, /^allow_anonymous/m);
    assert.deepEqual(sandbox.load('per.yaml', output), config);
  });
});
