import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ListenerConfig, MidgeConfig } from '../../src/config/index.js';
import { assertConfigError, ConfigSandbox } from './helpers.js';

/** One option: values that load (with what they resolve to) and values refused (with why). */
interface OptionCase {
  key: string;
  good: ReadonlyArray<readonly [string, unknown]>;
  bad: ReadonlyArray<readonly [string, string]>;
  read: (config: MidgeConfig) => unknown;
}

/** A listener option, read from the listener it was written in. */
interface ListenerOptionCase extends Omit<OptionCase, 'read'> {
  read: (listener: ListenerConfig) => unknown;
  /** Written in a TLS listener (certfile and keyfile on lines 4 and 5). */
  tls?: boolean;
  /** Line 2 of the block, e.g. `protocol websockets`. */
  setup?: string;
}

const sandbox = new ConfigSandbox();

/** How a test name shows a value: the broker core's "no limit" by name. */
const show = (value: unknown): string => (value === Infinity ? 'Infinity (no limit)' : JSON.stringify(value));
const abs = (name: string): string => sandbox.path(name);

const bool = (key: string, read: (c: MidgeConfig) => unknown): OptionCase => ({
  key, read, good: [['true', true], ['false', false], ['1', true], ['0', false]],
  bad: [['yes', 'expected true or false'], ['True', 'expected true or false'], ['', 'missing value'], ['true false', 'takes one value']],
});
const range = (min: number, max: number): string => `expected an integer from ${min} to ${max}`;
const file = (key: string, read: (c: MidgeConfig) => unknown): OptionCase => ({
  key, read, good: [['passwd', abs('passwd')]], bad: [['missing.txt', 'no such file'], ['capath', 'not a file'], ['', 'missing value']],
});

const globalCases: OptionCase[] = [
  bool('allow_anonymous', (c) => c.auth.allowAnonymous),
  file('password_file', (c) => c.auth.passwordFile),
  file('acl_file', (c) => c.auth.aclFile),
  bool('allow_zero_length_clientid', (c) => c.auth.allowZeroLengthClientId),
  { key: 'admin_user', read: (c) => c.auth.adminUsers, good: [['alice', ['alice']], ['Bob Smith', ['Bob Smith']]], bad: [['', 'missing value']] },
  { key: 'admin_token', read: (c) => c.auth.adminToken, good: [['0123456789abcdef', '0123456789abcdef']], bad: [['', 'missing value']] },
  file('scram_users_file', (c) => c.auth.scramUsersFile),
  { key: 'max_keepalive', read: (c) => c.limits.maxKeepalive, good: [['0', 65535], ['60', 60], ['65535', 65535]], bad: [['65536', range(0, 65535)], ['-1', range(0, 65535)], ['1.5', range(0, 65535)], ['60s', range(0, 65535)]] },
  {
    key: 'max_packet_size', read: (c) => c.limits.maxPacketSize,
    good: [['20', 20], ['2048', 2048], ['268435455', 268435455], ['0', 268435455]],
    bad: [['19', 'expected 0 (no limit) or 20 to 268435455'], ['268435456', range(0, 268435455)], ['1k', range(0, 268435455)]],
  },
  { key: 'message_size_limit', read: (c) => c.limits.maxPayloadSize, good: [['0', Infinity], ['1000', 1000]], bad: [['268435456', range(0, 268435455)], ['-1', range(0, 268435455)]] },
  { key: 'max_inflight_messages', read: (c) => c.limits.maxInflightMessages, good: [['1', 1], ['20', 20], ['65535', 65535], ['0', 65535]], bad: [['65536', range(0, 65535)], ['-1', range(0, 65535)]] },
  { key: 'max_queued_messages', read: (c) => c.limits.maxQueuedMessages, good: [['0', Infinity], ['5000', 5000]], bad: [['-1', 'expected an integer from 0']] },
  { key: 'max_queued_bytes', read: (c) => c.limits.maxQueuedBytes, good: [['0', Infinity], ['1048576', 1048576]], bad: [['-5', 'expected an integer from 0']] },
  { key: 'max_queued_bytes_total', read: (c) => c.limits.maxQueuedBytesTotal, good: [['0', Infinity], ['536870912', 536870912]], bad: [['-5', 'expected an integer from 0']] },
  { key: 'slow_consumer_timeout', read: (c) => c.limits.slowConsumerTimeout, good: [['0', 0], ['5', 5], ['2s', 2]], bad: [['-1', 'expected a whole number'], ['fast', 'expected a whole number']] },
  bool('slow_consumer_disconnect', (c) => c.limits.slowConsumerDisconnect),
  { key: 'max_topic_levels', read: (c) => c.limits.maxTopicLevels, good: [['1', 1], ['65535', 65535]], bad: [['0', range(1, 65535)], ['65536', range(1, 65535)]] },
  { key: 'connect_timeout', read: (c) => c.limits.connectTimeout, good: [['1', 1], ['30', 30]], bad: [['0', range(1, 86400)], ['ten', range(1, 86400)]] },
  { key: 'max_connections', read: (c) => c.limits.maxConnections, good: [['-1', Infinity], ['0', Infinity], ['100', 100], ['-5', Infinity]], bad: [['many', 'expected an integer']] },
  { key: 'max_qos', read: (c) => c.limits.maxQos, good: [['0', 0], ['1', 1], ['2', 2]], bad: [['3', range(0, 2)], ['-1', range(0, 2)]] },
  bool('retain_available', (c) => c.limits.retainAvailable),
  { key: 'max_topic_alias', read: (c) => c.limits.topicAliasMaximum, good: [['0', 0], ['65535', 65535]], bad: [['65536', range(0, 65535)]] },
  {
    key: 'max_session_expiry_interval', read: (c) => c.limits.maxSessionExpiryInterval,
    good: [['0', 0], ['3600', 3600], ['1d', 86400], ['4294967295', 4294967295]],
    bad: [['4294967296', 'at most 4294967295 seconds'], ['1x', 'expected a whole number followed by s, h, d, w, m or y'], ['-1', 'expected a whole number']],
  },
  {
    key: 'persistent_client_expiration', read: (c) => c.limits.maxSessionExpiryInterval,
    good: [['2h', 7200], ['14d', 1209600], ['1w', 604800], ['2m', 5184000], ['1y', 31536000]],
    bad: [['14', 'followed by h, d, w, m or y'], ['d', 'followed by h, d, w, m or y'], ['200y', 'at most 4294967295 seconds'], ['', 'missing value']],
  },
  bool('persistence', (c) => c.persistence.enabled),
  { key: 'persistence_location', read: (c) => c.persistence.location, good: [['store', abs('store')], ['capath', abs('capath')]], bad: [['passwd', 'not a directory']] },
  { key: 'persistence_sync', read: (c) => c.persistence.sync, good: [['normal', 'normal'], ['full', 'full']], bad: [['fast', 'expected normal, full']] },
  { key: 'sys_interval', read: (c) => c.operations.sysInterval, good: [['0', 0], ['10', 10]], bad: [['65536', range(0, 65535)]] },
  {
    key: 'log_level', read: (c) => c.operations.logLevel,
    good: [['trace', 'trace'], ['debug', 'debug'], ['info', 'info'], ['warn', 'warn'], ['error', 'error']],
    bad: [['verbose', 'expected trace, debug, info, warn, error']],
  },
  { key: 'trace_clients', read: (c) => c.operations.traceClients, good: [['sensor-*', ['sensor-*']], ['a b', ['a', 'b']]], bad: [['', 'missing value']] },
  { key: 'response_information_prefix', read: (c) => c.operations.responseInformationPrefix, good: [['responses/', 'responses/']], bad: [['resp/#', 'wildcard']] },
  { key: 'mqttsn_gateway_id', read: (c) => c.mqttsn.gatewayId, good: [['0', 0], ['255', 255]], bad: [['256', range(0, 255)]] },
  { key: 'mqttsn_advertise_interval', read: (c) => c.mqttsn.advertiseInterval, good: [['0', 0], ['900', 900]], bad: [['65536', range(0, 65535)]] },
  {
    key: 'mqttsn_predefined_topic', read: (c) => c.mqttsn.predefinedTopics,
    good: [['1 sensors/temp', [{ id: 1, topic: 'sensors/temp' }]], ['7 a b/c', [{ id: 7, topic: 'a b/c' }]]],
    bad: [['0 a', range(1, 65534)], ['x a', range(1, 65534)], ['1', 'needs a topic id and a topic name'], ['1 a/#', 'wildcard']],
  },
  { key: 'mqttsn_max_clients', read: (c) => c.mqttsn.maxClients, good: [['1', 1], ['1000000', 1000000]], bad: [['0', range(1, 1000000)]] },
  { key: 'mqttsn_max_clients_per_address', read: (c) => c.mqttsn.maxClientsPerAddress, good: [['1', 1], ['5000', 5000]], bad: [['0', range(1, 1000000)]] },
  { key: 'mqttsn_max_keepalive', read: (c) => c.mqttsn.maxKeepAlive, good: [['60', 60], ['65535', 65535]], bad: [['0', range(1, 65535)]] },
  {
    key: 'session_owner', read: (c) => c.auth.sessionOwner,
    good: [['user', 'user'], ['client_id', 'client_id']], bad: [['anyone', 'expected user, client_id']],
  },
  {
    key: 'confidential_topics', read: (c) => c.confidentialTopics,
    good: [['secret/#', ['secret/#']], ['a/+/b c/#', ['a/+/b', 'c/#']], ['x x', ['x']]],
    bad: [['a/#/b', "'#' must be the whole of the last level"], ['a+', "'+' must be the whole of its level"], ['$share/g/a', 'shared subscription'], ['', 'missing value']],
  },
  {
    key: 'cluster_redis_url', read: (c) => c.cluster?.redisUrl,
    good: [
      ['redis://localhost:6379', 'redis://localhost:6379'], ['rediss://:pw@cache:6380/1', 'rediss://:pw@cache:6380/1'],
      ['redis+sentinel://s1:26379,s2,[::1]:26380/prod', 'redis+sentinel://s1:26379,s2,[::1]:26380/prod'],
    ],
    bad: [
      ['http://cache', 'expected a redis://, rediss:// or redis+sentinel:// URL'], ['cache', 'expected a redis://'], ['redis://a b', 'must not contain blanks'],
      ['redis+sentinel://s1:26379', 'expected redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/mastername'],
      ['redis+sentinel://s1:70000/prod', 'sentinel port 70000 is out of range'], ['redis+sentinel://s1/prod?db=2', "unknown parameter 'db'"],
      ['rediss+sentinel://s1/prod', 'not supported yet'],
    ],
  },
];

const listenerBool = (key: string, read: (l: ListenerConfig) => unknown, tls = true): ListenerOptionCase => ({
  key, read, tls, good: [['true', true], ['false', false]], bad: [['on', 'expected true or false']],
});

const listenerCases: ListenerOptionCase[] = [
  {
    key: 'protocol', read: (l) => l.protocol, tls: false,
    good: [['mqtt', 'mqtt'], ['websockets', 'websockets'], ['mqttsn', 'mqttsn'], ['http', 'http']],
    bad: [['quic', 'expected mqtt, websockets, mqttsn, http'], ['MQTT', 'expected mqtt']],
  },
  { key: 'cafile', read: (l) => l.tls?.cafile, tls: true, good: [['ca.pem', abs('ca.pem')]], bad: [['nope.pem', 'no such file']] },
  { key: 'capath', read: (l) => l.tls?.capath, tls: true, good: [['capath', abs('capath')]], bad: [['passwd', 'not a directory'], ['nope', 'no such directory']] },
  { key: 'crlfile', read: (l) => l.tls?.crlfile, tls: true, good: [['crl.pem', abs('crl.pem')]], bad: [['nope.pem', 'no such file']] },
  { key: 'ciphers', read: (l) => l.tls?.ciphers, tls: true, good: [['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384']], bad: [['a b', 'takes one value']] },
  { key: 'tls_version', read: (l) => l.tls?.tlsVersion, tls: true, good: [['tlsv1.2', 'tlsv1.2'], ['tlsv1.3', 'tlsv1.3']], bad: [['tlsv1.0', 'expected tlsv1.1, tlsv1.2, tlsv1.3']] },
  listenerBool('require_certificate', (l) => l.tls?.requireCertificate),
  listenerBool('use_identity_as_username', (l) => l.tls?.useIdentityAsUsername),
  listenerBool('use_subject_as_username', (l) => l.tls?.useSubjectAsUsername),
  { key: 'websockets_path', read: (l) => l.websocketsPath, setup: 'protocol websockets', good: [['/mqtt', '/mqtt']], bad: [['mqtt', "must start with '/'"], ['', 'missing value']] },
  listenerBool('confidential', (l) => l.confidential, false),
  { key: 'socket_domain', read: (l) => l.socketDomain, good: [['ipv4', 'ipv4'], ['ipv6', 'ipv6']], bad: [['ipv5', 'expected ipv4, ipv6']] },
  { key: 'max_connections', read: (l) => l.maxConnections, good: [['10', 10], ['-1', Infinity]], bad: [['ten', 'expected an integer']] },
  { key: 'certfile', read: (l) => l.tls?.certfile, good: [['cert.pem', abs('cert.pem')]], bad: [['nope.pem', 'no such file']] },
  { key: 'keyfile', read: (l) => l.tls?.keyfile, good: [['key.pem', abs('key.pem')]], bad: [['nope.pem', 'no such file']] },
];

/** Line 3 holds the option in every generated file, so every error must point at `file:3`. */
function globalConf(key: string, value: string): string {
  return `# generated\n\n${key} ${value}\n`;
}

function listenerConf(option: ListenerOptionCase, value: string): string {
  const tlsLines = option.key === 'certfile' ? 'keyfile key.pem\n' : option.key === 'keyfile' ? 'certfile cert.pem\n' : option.tls ? 'certfile cert.pem\nkeyfile key.pem\n' : '';
  return `listener 8883\n${option.setup ?? '# options'}\n${option.key} ${value}\n${tlsLines}`;
}

before(() => {
  for (const name of ['passwd', 'cert.pem', 'key.pem', 'ca.pem', 'crl.pem']) sandbox.write(name, 'x\n');
  sandbox.folder('capath');
});
after(() => sandbox.cleanup());

describe('each global option', () => {
  for (const option of globalCases) {
    for (const [value, expected] of option.good) {
      it(`reads '${option.key} ${value}' as ${show(expected)}`, () => {
        assert.deepEqual(option.read(sandbox.load('good.conf', globalConf(option.key, value))), expected);
      });
    }
    for (const [value, problem] of option.bad) {
      it(`refuses '${option.key} ${value}' naming file and line`, () => {
        const file = sandbox.path('bad.conf');
        assertConfigError(() => sandbox.load('bad.conf', globalConf(option.key, value)), `${file}:3`, problem);
      });
    }
  }
});

describe('each listener option', () => {
  for (const option of listenerCases) {
    for (const [value, expected] of option.good) {
      it(`reads '${option.key} ${value}' on its listener as ${show(expected)}`, () => {
        const config = sandbox.load('good.conf', listenerConf(option, value));
        assert.equal(config.listeners.length, 1);
        assert.deepEqual(option.read(config.listeners[0]!), expected);
      });
    }
    for (const [value, problem] of option.bad) {
      it(`refuses '${option.key} ${value}' on a listener naming file and line`, () => {
        const file = sandbox.path('bad.conf');
        assertConfigError(() => sandbox.load('bad.conf', listenerConf(option, value)), `${file}:3`, problem);
      });
    }
  }
});
