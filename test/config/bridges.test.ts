import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import { configWarnings, formatConfig, loadConfig, type BridgeConfig, type BridgeTopic } from '../../src/config/index.js';
import { addressUrl } from '../../src/config/bridge-values.js';
import { configChanges } from '../../src/server/config-changes.js';
import { assertConfigError, ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
after(() => sandbox.cleanup());
const ca = sandbox.write('ca.crt', 'not read at load time');
sandbox.write('client.crt', 'x');
sandbox.write('client.key', 'x');
sandbox.folder('cadir');

/** Loads a config holding one bridge and returns it. */
function bridgeOf(lines: string, name = 'bridge.conf'): BridgeConfig {
  const config = sandbox.load(name, `connection cloud\naddress 127.0.0.1:1884\n${lines}`);
  assert.equal(config.bridges.length, 1);
  return config.bridges[0]!;
}

function topicOf(line: string): BridgeTopic {
  return bridgeOf(`${line}\n`).topics[0]!;
}

describe('bridge configuration (connection blocks)', () => {
  it("fills in mosquitto's defaults for a connection with an address and a topic", () => {
    const bridge = bridgeOf('topic sensors/#\n');
    const remoteClientId = `${hostname()}.cloud`;
    assert.deepEqual(bridge, {
      name: 'cloud', addresses: [{ scheme: 'mqtt:', host: '127.0.0.1', port: 1884, path: '' }], roundRobin: false,
      topics: [{ pattern: 'sensors/#', direction: 'out', qos: 0, localPrefix: '', remotePrefix: '' }],
      protocolVersion: 4, cleanSession: false, localCleanSession: false, keepAlive: 60,
      remoteClientId, localClientId: `local.${remoteClientId}`, remoteUsername: undefined, remotePassword: undefined,
      tls: undefined, bindAddress: undefined, notifications: true, notificationTopic: `$SYS/broker/connection/${remoteClientId}/state`,
      notificationsLocalOnly: false, restart: { kind: 'backoff', baseSeconds: 5, capSeconds: 30 }, startType: 'automatic',
      idleTimeout: 60, threshold: 10, tryPrivate: true, outgoingRetain: true, maxPacketSize: Infinity, attemptUnsubscribe: true,
    });
  });

  it('reads every option of the block, and the old spellings clientid, username, password and addresses', () => {
    const config = sandbox.load('full.conf', [
      'listener 1883', 'connection edge', 'addresses 10.0.0.1 broker.example:8883 ::1:1885', 'round_robin true',
      'topic a/# both 2', 'bridge_protocol_version mqttv50', 'cleansession true', 'local_cleansession false',
      'keepalive_interval 30', 'clientid edge-1', 'local_clientid edge-local', 'username u', 'password p w',
      'bridge_cafile ca.crt', 'bridge_certfile client.crt', 'bridge_keyfile client.key', 'bridge_insecure true',
      'bridge_tls_version tlsv1.3', 'bridge_alpn x-mqtt', 'bridge_bind_address 127.0.0.2', 'notifications false',
      'notification_topic edge/state', 'notifications_local_only true', 'restart_timeout 20', 'start_type lazy',
      'idle_timeout 5', 'threshold 3', 'try_private false', 'bridge_outgoing_retain false', 'bridge_max_packet_size 2048',
      'bridge_attempt_unsubscribe false', 'max_qos 1', '',
    ].join('\n'));
    const bridge = config.bridges[0]!;
    assert.equal(config.limits.maxQos, 1, 'a global option after a connection block stays global');
    assert.deepEqual(bridge.addresses.map(addressUrl), ['mqtts://10.0.0.1:1883', 'mqtts://broker.example:8883', 'mqtts://[::1]:1885']);
    assert.deepEqual(bridge.tls, { cafile: ca, capath: undefined, certfile: sandbox.path('client.crt'), keyfile: sandbox.path('client.key'), insecure: true, version: 'tlsv1.3', alpn: 'x-mqtt' });
    assert.deepEqual(
      [bridge.roundRobin, bridge.protocolVersion, bridge.cleanSession, bridge.localCleanSession, bridge.keepAlive, bridge.remoteClientId, bridge.localClientId],
      [true, 5, true, false, 30, 'edge-1', 'edge-local'],
    );
    assert.deepEqual([bridge.remoteUsername, bridge.remotePassword, bridge.bindAddress], ['u', 'p w', '127.0.0.2']);
    assert.deepEqual([bridge.notifications, bridge.notificationTopic, bridge.notificationsLocalOnly], [false, 'edge/state', true]);
    assert.deepEqual(bridge.restart, { kind: 'constant', seconds: 20 });
    assert.deepEqual([bridge.startType, bridge.idleTimeout, bridge.threshold, bridge.tryPrivate, bridge.outgoingRetain, bridge.maxPacketSize, bridge.attemptUnsubscribe],
      ['lazy', 5, 3, false, false, 2048, false]);
  });

  it('reads topic lines as mosquitto.conf(5) does: direction out and QoS 0 by default, "" for empty prefixes, # for comments', () => {
    assert.deepEqual(topicOf('topic a/b'), { pattern: 'a/b', direction: 'out', qos: 0, localPrefix: '', remotePrefix: '' });
    assert.deepEqual(topicOf('topic a/b IN'), { pattern: 'a/b', direction: 'in', qos: 0, localPrefix: '', remotePrefix: '' });
    assert.deepEqual(topicOf('topic # both 2 local/ remote/'), { pattern: '#', direction: 'both', qos: 2, localPrefix: 'local/', remotePrefix: 'remote/' });
    assert.deepEqual(topicOf('topic a/# out 1 "" remote/'), { pattern: 'a/#', direction: 'out', qos: 1, localPrefix: '', remotePrefix: 'remote/' });
    assert.deepEqual(topicOf('topic a/# out 1 local/ ""'), { pattern: 'a/#', direction: 'out', qos: 1, localPrefix: 'local/', remotePrefix: '' });
    assert.deepEqual(topicOf('topic a/# out 1 local/'), { pattern: 'a/#', direction: 'out', qos: 1, localPrefix: 'local/', remotePrefix: '' });
    assert.deepEqual(topicOf('topic a/# out 1 # trailing comment'), { pattern: 'a/#', direction: 'out', qos: 1, localPrefix: '', remotePrefix: '' });
    // Row 5 of the man page's table: an empty topic remaps one local topic to one remote topic.
    assert.deepEqual(topicOf('topic "" in 0 test/mosquitto/org/clients/total $SYS/broker/clients/total'),
      { pattern: '', direction: 'in', qos: 0, localPrefix: 'test/mosquitto/org/clients/total', remotePrefix: '$SYS/broker/clients/total' });
    const several = bridgeOf('topic a/# out 1\ntopic b/# in 2\n').topics;
    assert.deepEqual(several.map((t) => `${t.pattern} ${t.direction}`), ['a/# out', 'b/# in']);
  });

  it('refuses the topic lines mosquitto.conf(5) calls invalid, naming the line', () => {
    const file = sandbox.path('bad-topic.conf');
    const at = (line: string, fragment: string) => assertConfigError(() => sandbox.load('bad-topic.conf', `connection c\naddress h\n${line}\n`), `${file}:3`, fragment);
    at('topic "" out 0 local/ ""', 'invalid bridge remapping');
    at('topic "" out 0 "" remote/', 'invalid bridge remapping');
    at('topic ""', 'invalid bridge remapping');
    at('topic a/b sideways', "invalid bridge topic direction 'sideways'");
    at('topic a/b out 3', "invalid bridge QoS level '3'");
    at('topic a/b out one', "invalid bridge QoS level 'one'");
    at('topic a/# out 0 lo+cal/ remote/', "invalid bridge topic local prefix 'lo+cal/'");
    at('topic a/# out 0 local/ re#mote/', "invalid bridge topic remote prefix 're#mote/'");
    at('topic # out 0 local remote/', "invalid bridge topic local prefix and pattern combination 'local#'");
    at('topic a/#/b', "invalid bridge topic 'a/#/b'");
    at('topic $share/g/a', 'a shared subscription cannot be bridged');
    at('topic a out 0 l/ r/ extra', 'topic takes a pattern, a direction, a QoS and two prefixes');
    at('topic', 'missing value for topic');
  });

  it('reads addresses as host[:port] (port 1883 by default; an IPv6 address needs one) or as URLs, wss:// included', () => {
    assert.deepEqual(bridgeOf('topic a\n').addresses.map(addressUrl), ['mqtt://127.0.0.1:1884']);
    const config = sandbox.load('urls.conf', 'connection c\naddress h ::1:1886 wss://cloud.example/mqtt-ws ws://[::1]:8080 # two more\ntopic a\n');
    assert.deepEqual(config.bridges[0]!.addresses.map(addressUrl), ['mqtt://h:1883', 'mqtt://[::1]:1886', 'wss://cloud.example:443/mqtt-ws', 'ws://[::1]:8080/']);
    assert.ok(config.bridges[0]!.tls, 'a wss:// address makes the bridge speak TLS');
    const file = sandbox.path('bad-address.conf');
    const at = (line: string, fragment: string) => assertConfigError(() => sandbox.load('bad-address.conf', `connection c\n${line}\ntopic a\n`), `${file}:2`, fragment);
    at('address h:0', "invalid address port '0'");
    at('address h:65536', 'expected an integer from 1 to 65535');
    at('address http://h/', 'expected mqtt://, mqtts://, ws:// or wss://');
    at('address wss://user:pw@h/', 'remote_username and remote_password');
    at('address', 'missing value for address');
    assertConfigError(() => sandbox.load('bad-address.conf', 'connection c\naddress a\naddress b\ntopic a\n'), `${file}:3`, 'duplicate address');
  });

  it('turns TLS on with bridge_cafile or bridge_capath, and refuses TLS options without TLS', () => {
    assert.deepEqual(bridgeOf('topic a\nbridge_capath cadir\n').addresses.map(addressUrl), ['mqtts://127.0.0.1:1884']);
    const file = sandbox.path('bridge.conf');
    assertConfigError(() => bridgeOf('topic a\nbridge_certfile client.crt\n'), `${file}:4`, 'bridge_certfile needs TLS: set bridge_cafile or bridge_capath');
    assertConfigError(() => bridgeOf('topic a\nbridge_insecure true\n'), `${file}:4`, 'bridge_insecure needs TLS');
    assertConfigError(() => bridgeOf('topic a\nbridge_cafile ca.crt\nbridge_certfile client.crt\n'), `${file}:5`, 'bridge_certfile needs bridge_keyfile');
    assertConfigError(() => bridgeOf('topic a\nbridge_cafile missing.crt\n'), `${file}:4`, 'no such file');
    const mixed = sandbox.path('mixed.conf');
    assertConfigError(() => sandbox.load('mixed.conf', 'connection c\naddress ws://h/\ntopic a\nbridge_cafile ca.crt\n'), `${mixed}:2`, 'is not encrypted, but bridge_cafile');
  });

  it('reads restart_timeout as a constant or as a backoff base and cap, start_type and the lower bounds mosquitto applies', () => {
    assert.deepEqual(bridgeOf('topic a\nrestart_timeout 10 60\n').restart, { kind: 'backoff', baseSeconds: 10, capSeconds: 60 });
    assert.deepEqual(bridgeOf('topic a\nrestart_timeout 0\n').restart, { kind: 'constant', seconds: 1 });
    assert.equal(bridgeOf('topic a\nkeepalive_interval 2\n').keepAlive, 5);
    assert.equal(bridgeOf('topic a\nthreshold 0\n').threshold, 1);
    const file = sandbox.path('bridge.conf');
    assertConfigError(() => bridgeOf('topic a\nrestart_timeout 30 10\n'), `${file}:4`, 'the backoff cap 10 is lower than the base 30');
    assertConfigError(() => bridgeOf('topic a\nstart_type manual\n'), `${file}:4`, 'start_type manual is not supported');
    assertConfigError(() => bridgeOf('topic a\nbridge_protocol_version mqttv5\n'), `${file}:4`, 'expected mqttv31, mqttv311, mqttv50');
    assertConfigError(() => bridgeOf('topic a\nremote_password secret\n'), `${file}:4`, 'remote_password needs remote_username');
    assertConfigError(() => bridgeOf('topic a\nnotification_topic state/#\n'), `${file}:4`, "invalid notification_topic 'state/#'");
  });

  it('refuses what a bridge needs but lacks, options outside a block, duplicates, and unsupported bridge options by name', () => {
    const file = sandbox.path('refused.conf');
    const load = (text: string) => () => sandbox.load('refused.conf', text);
    assertConfigError(load('topic a/#\n'), `${file}:1`, "topic belongs to a bridge: write it after a 'connection NAME' line");
    assertConfigError(load('connection c\ntopic a\n'), `${file}:1`, 'bridge c has no address');
    assertConfigError(load('connection c\naddress h\n'), `${file}:1`, 'bridge c has no topic');
    assertConfigError(load('connection c\naddress h\ntopic a\nconnection c\n'), `${file}:4`, "duplicate bridge name 'c'");
    assertConfigError(load('connection\n'), `${file}:1`, 'connection needs a name');
    assertConfigError(load('connection a\naddress h\ntopic t\nremote_clientid x\nconnection b\naddress h\ntopic t\nremote_clientid x\n'), `${file}:5`,
      "bridge b uses local client id 'local.x', as bridge a does");
    assertConfigError(load('connection c\naddress h\ntopic a\nlocal_username bridge\n'), `${file}:4`, "'local_username' is a mosquitto option midge does not support");
    assertConfigError(load('connection c\naddress h\ntopic a\nbridge_psk 00ff\n'), `${file}:4`, "'bridge_psk' is a mosquitto option midge does not support (TLS-PSK");
    assertConfigError(load('connection c\naddress h\ntopic a\nbridge_identity me\n'), `${file}:4`, "'bridge_identity' is a mosquitto option midge does not support");
    assertConfigError(load('connection c\naddress h\ntopic a\ntry_privat true\n'), `${file}:4`, "did you mean 'try_private'");
    assert.throws(() => loadConfig({ env: { MIDGE_TOPIC: 'a' }, cwd: sandbox.dir }), /topic is a bridge option and cannot be set from the environment/);
  });

  it('starts each included file outside any bridge, as mosquitto does', () => {
    sandbox.write('inc.d/a.conf', 'topic b/#\n');
    assertConfigError(() => sandbox.load('inc.conf', 'connection c\naddress h\ntopic a\ninclude_dir inc.d\n'), 'inc.d/a.conf:1', 'topic belongs to a bridge');
  });

  it('names the bridge by its connection name alone in a cluster, where every node must resume the same sessions', () => {
    const config = sandbox.load('cluster.conf', 'cluster_redis_url redis://127.0.0.1:6379\nconnection cloud\naddress h\ntopic a\n');
    assert.equal(config.bridges[0]!.remoteClientId, 'cloud');
    assert.equal(config.bridges[0]!.localClientId, 'local.cloud');
  });

  it('reads the same bridge from YAML, where bridges is a list of objects with connection: NAME', () => {
    const conf = sandbox.load('same.conf', 'connection cloud\naddress 127.0.0.1:1884 wss://h/ws\ntopic a/# out 1\ntopic "" in 2 l/x r/y\nremote_username u\nremote_password p\n');
    const yaml = sandbox.load('same.yaml', [
      'bridges:', '  - connection: cloud', '    address: 127.0.0.1:1884 wss://h/ws', '    topic:', '      - a/# out 1', '      - \'"" in 2 l/x r/y\'',
      '    remote_username: u', '    remote_password: p', '',
    ].join('\n'));
    assert.deepEqual(yaml, conf);
    const file = sandbox.path('misplaced.yaml');
    assertConfigError(() => sandbox.load('misplaced.yaml', 'bridges:\n  - connection: c\n    address: h\n    topic: a\n    max_qos: 1\n'), `${file}:5`, 'max_qos is not a bridge option');
    assertConfigError(() => sandbox.load('misplaced.yaml', 'bridges:\n  - address: h\n'), `${file}:2`, "this bridge needs a name: 'connection: NAME'");
    assertConfigError(() => sandbox.load('misplaced.yaml', 'connection: c\n'), `${file}:1`, "declare bridges as a list under 'bridges'");
  });

  it('prints bridges in formatConfig with remote_password redacted, and the output loads back to the same bridges', () => {
    const config = sandbox.load('print.conf', 'connection cloud\naddress 127.0.0.1:1884\ntopic # both 2 local/ remote/\ntopic "" in 0 l/x r/y\nremote_username u\nremote_password s3cret\nbridge_cafile ca.crt\nrestart_timeout 3 9\n');
    const text = formatConfig(config);
    assert.ok(!text.includes('s3cret'), 'the password is not printed');
    const back = sandbox.load('print.yaml', text);
    assert.deepEqual(back.bridges, [{ ...config.bridges[0]!, remotePassword: 'redacted' }]);
  });

  it('warns about a bridge that does not check the remote host name', () => {
    const config = sandbox.load('insecure.conf', 'connection c\naddress h\ntopic a\nbridge_cafile ca.crt\nbridge_insecure true\n');
    assert.ok(configWarnings(config).some((w) => w.includes('bridge c does not check that the remote certificate names the host')));
  });
});

describe('bridges on reload (SIGHUP)', () => {
  it('names a changed connection block, its password included, as needing a restart', () => {
    const base = 'listener 1883\nconnection cloud\naddress 127.0.0.1:1884\ntopic a/#\nremote_username u\n';
    const before = sandbox.load('reload-a.conf', `${base}remote_password one\n`);
    assert.deepEqual(configChanges(before, sandbox.load('reload-b.conf', `${base}remote_password one\n`)).restartNeeded, []);
    assert.deepEqual(configChanges(before, sandbox.load('reload-c.conf', `${base}remote_password two\n`)).restartNeeded, ['bridges']);
    assert.deepEqual(configChanges(before, sandbox.load('reload-d.conf', `${base}remote_password one\ntopic b/# in 1\n`)).restartNeeded, ['bridges']);
    assert.deepEqual(configChanges(before, sandbox.load('reload-e.conf', 'listener 1883\n')).restartNeeded, ['bridges']);
  });
});
