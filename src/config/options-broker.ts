import { resolve } from 'node:path';
import { defaultLimits, type BrokerLimits } from '../broker/options.js';
import type { Directive } from './directive.js';
import {
  MAX_MQTT_PACKET_SIZE, NO_EXPIRY_CAP, REDACTED, parseInflight, parseMaxPacketSize, parsePredefinedTopic,
  parseResponsePrefix, parseTracePatterns, redactUrl, unlimitedAsZero, zeroIsUnlimited,
} from './option-values.js';
import { brokerLimit, defining, optional, withDefault, type OptionDoc, type TypedOption } from './option-spec.js';
import {
  parseBoolean, parseChoice, parseDuration, parseInteger, parseName, parsePath, parseRedisUrl, parseText,
  parseTopicFilters, type ParseContext,
} from './values.js';

/**
 * The option table, second part: options of the whole broker (see `options.ts` for the
 * table as a whole and how to add an option).
 */

/** A limit of the broker core: typed and defaulted by `BrokerLimits`. */
function limit<const K extends string, const F extends keyof BrokerLimits>(input: {
  name: K; field: F; parse: (directive: Directive, context: ParseContext) => BrokerLimits[F];
  format?: (value: BrokerLimits[F]) => unknown; doc: OptionDoc;
}): TypedOption<K, 'limits', F, BrokerLimits[F], false> {
  return brokerLimit(input, defaultLimits[input.field]);
}

const int = (min: number, max: number) => (d: Directive): number => parseInteger(d, min, max);
const boolType = 'true or false';

export const brokerOptions = [
  optional({
    name: 'scram_users_file', section: 'auth', field: 'scramUsersFile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: {
      type: 'path to a file', summary: 'The users of MQTT 5 enhanced authentication with SCRAM-SHA-256 (Authentication Method `SCRAM-SHA-256`, RFC 5802/7677). Reloaded on SIGHUP.',
      mosquitto: 'midge only', example: 'scram_users_file /etc/midge/scram', defaultText: 'none',
      details: 'One `user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` per line (base64 salt and keys, '
        + "PostgreSQL's verifier format), `#` comments and blank lines allowed; a line of any other shape stops start-up "
        + 'with file and line. The file holds verifiers, never passwords: write it with `midge passwd -H scram-sha-256 '
        + '[-c] [-b] FILE USER [PASSWORD]` (`-I` sets the iterations, 4096 by default; `-D` deletes; `-U` turns plain-text '
        + '`user:password` lines into verifiers). It is a file of its own: `midge passwd` refuses to mix verifiers and '
        + 'Mosquitto hashes. A client that names the method is authenticated by the exchange alone (`password_file` and '
        + '`allow_anonymous` do not apply to it); clients log in with `midge pub/sub/rr --auth-method SCRAM-SHA-256 -u USER '
        + '-P PASSWORD`, or with `authenticator: new ScramSha256(user, password)` in `midge/client`.',
    },
  }),
  withDefault({
    name: 'session_owner', section: 'auth', field: 'sessionOwner', default: 'user', parse: (d) => parseChoice(d, ['user', 'client_id'] as const),
    doc: {
      type: 'user or client_id', summary: 'Who a session belongs to: the user name (or certificate identity) that opened it, or whoever presents its client id.',
      mosquitto: 'midge only; client_id is what Mosquitto does', example: 'session_owner client_id',
      details: 'With `user` another user\'s CONNECT with the client id of a session (connected or not, clean start or not) is refused '
        + 'with 0x85 Client Identifier not valid (3.1.1: return code 2), so nobody reads, closes or discards another user\'s session; '
        + 'anonymous clients are one identity. With `client_id` the session goes to whoever connects with its id, as in Mosquitto. '
        + 'Either way every queued or in-flight message is checked against the connected client\'s read access when it is sent, '
        + 'and dropped when it may not read it (see docs/security.md).',
    },
  }),
  withDefault({
    name: 'admin_user', section: 'auth', field: 'adminUsers', list: true, default: [], parse: (d) => [parseText(d)],
    doc: { type: 'user name; repeat for more', summary: 'Users of the password file who may use the admin API and dashboard.', mosquitto: 'midge only', example: 'admin_user ops', defaultText: 'none' },
  }),
  optional({
    name: 'admin_token', section: 'auth', field: 'adminToken', repeat: 'once', parse: parseText, format: () => REDACTED,
    doc: { type: 'text', summary: 'Bearer token for the admin API (redacted by --test-config).', mosquitto: 'midge only', example: 'admin_token 3f9a1c77e2b84d05a6c1', defaultText: 'none' },
  }),
  limit({
    name: 'max_packet_size', field: 'maxPacketSize', parse: parseMaxPacketSize,
    doc: {
      type: `integer 20..${MAX_MQTT_PACKET_SIZE}, or 0 for the protocol's maximum`, summary: 'Largest packet accepted from a client, fixed header included (the v5 Maximum Packet Size announced).',
      mosquitto: 'default 1 MiB instead of no limit: safe by default', example: 'max_packet_size 262144',
    },
  }),
  limit({
    name: 'message_size_limit', field: 'maxPayloadSize', parse: zeroIsUnlimited(0, MAX_MQTT_PACKET_SIZE), format: unlimitedAsZero,
    doc: {
      type: `integer 0..${MAX_MQTT_PACKET_SIZE}; 0 for no limit`, summary: 'Largest PUBLISH payload: larger messages are dropped and counted (v5 publishers are told Quota exceeded).',
      mosquitto: 'same (deprecated there in favour of max_packet_size)', example: 'message_size_limit 131072',
    },
  }),
  limit({
    name: 'max_inflight_messages', field: 'maxInflightMessages', parse: parseInflight,
    doc: {
      type: 'integer 0..65535; 0 for no limit (65535)', summary: 'QoS 1 and 2 messages in flight to each client, also the v5 Receive Maximum announced.',
      mosquitto: 'same', example: 'max_inflight_messages 40',
    },
  }),
  limit({
    name: 'max_queued_messages', field: 'maxQueuedMessages', parse: zeroIsUnlimited(0, 2147483647), format: unlimitedAsZero,
    doc: {
      type: 'integer; 0 for no limit', summary: 'Messages queued per client beyond its inflight window, QoS 0 waiting for a congested connection included. While the client reads, its publishers wait for room; while it is offline or a slow consumer, more are dropped and counted.',
      mosquitto: 'same key; default 100000 instead of 1000, and publishers wait rather than lose messages for a client that reads', example: 'max_queued_messages 5000',
    },
  }),
  limit({
    name: 'max_queued_bytes', field: 'maxQueuedBytes', parse: zeroIsUnlimited(0, Number.MAX_SAFE_INTEGER), format: unlimitedAsZero,
    doc: {
      type: 'integer; 0 for no limit', summary: 'Payload bytes queued per client, as max_queued_messages.',
      mosquitto: 'same key; default 64 MiB instead of no limit', example: 'max_queued_bytes 10485760',
    },
  }),
  limit({
    name: 'max_queued_bytes_total', field: 'maxQueuedBytesTotal', parse: zeroIsUnlimited(0, Number.MAX_SAFE_INTEGER), format: unlimitedAsZero,
    doc: {
      type: 'integer; 0 for no limit', summary: 'Bytes queued for all clients together (payload plus 128 bytes a message): past it every publisher is paused and offline or slow clients get no more.',
      mosquitto: 'midge only', example: 'max_queued_bytes_total 268435456',
    },
  }),
  limit({
    name: 'slow_consumer_timeout', field: 'slowConsumerTimeout', parse: (d) => parseDuration(d, { unitRequired: false, max: 86400 }),
    doc: {
      type: 'seconds, or a number with unit s h d; 0: never', summary: 'A client with messages waiting that reads none for this long is a slow consumer: no publisher waits for it any more, and what its queue cannot hold is dropped.',
      mosquitto: 'midge only', example: 'slow_consumer_timeout 10',
    },
  }),
  limit({
    name: 'slow_consumer_disconnect', field: 'slowConsumerDisconnect', parse: parseBoolean,
    doc: { type: boolType, summary: 'Disconnect a slow consumer (v5: Quota exceeded) instead of dropping what its queue cannot hold.', mosquitto: 'midge only', example: 'slow_consumer_disconnect true' },
  }),
  limit({
    name: 'max_topic_levels', field: 'maxTopicLevels', parse: int(1, 65535),
    doc: { type: 'integer 1..65535', summary: 'Levels a topic name or filter may have; more are refused (Topic Name/Filter invalid).', mosquitto: 'midge only', example: 'max_topic_levels 32' },
  }),
  limit({
    name: 'connect_timeout', field: 'connectTimeout', parse: int(1, 86400),
    doc: { type: 'seconds, 1..86400', summary: 'Time a new connection has to complete its CONNECT.', mosquitto: 'midge only', example: 'connect_timeout 30' },
  }),
  limit({
    // 0 is mosquitto's "no limit", which 65535 (the largest keep alive) also means: the core gets 65535.
    name: 'max_keepalive', field: 'maxKeepalive', parse: (d) => parseInteger(d, 0, 65535) || 65535,
    doc: {
      type: 'seconds, 0..65535; 0 or 65535 for no limit', summary: 'Largest keep alive granted.',
      details: 'Any other value than 0 and 65535 caps the keep alive and counts 0 (no keep alive) as above it: a v5 client '
        + 'asking for more, or for 0, is told the cap as Server Keep Alive; a 3.1.1/3.1 one is refused with "identifier rejected".',
      mosquitto: 'same (mosquitto.conf(5) of 2.0); --test-config writes 0 as 65535', example: 'max_keepalive 300',
    },
  }),
  limit({
    name: 'max_session_expiry_interval', field: 'maxSessionExpiryInterval', parse: (d) => parseDuration(d, { unitRequired: false, max: NO_EXPIRY_CAP }),
    doc: {
      type: 'seconds, or a number with unit s h d w m y', summary: 'Cap on session expiry, also for 3.1.1 persistent sessions; 4294967295: no cap.',
      mosquitto: 'midge only (mosquitto has persistent_client_expiration)', example: 'max_session_expiry_interval 7d',
    },
  }),
  limit({
    name: 'max_topic_alias', field: 'topicAliasMaximum', parse: int(0, 65535),
    doc: { type: 'integer 0..65535', summary: 'Topic Alias Maximum announced to v5 clients; 0: no aliases.', mosquitto: 'same', example: 'max_topic_alias 20' },
  }),
  limit({
    name: 'max_qos', field: 'maxQos', parse: (d) => parseInteger(d, 0, 2) as 0 | 1 | 2,
    doc: { type: '0, 1 or 2', summary: 'Highest QoS supported (v5 Maximum QoS); subscriptions are granted at most this.', mosquitto: 'same', example: 'max_qos 1' },
  }),
  withDefault({
    name: 'retain_available', section: 'limits', field: 'retainAvailable', default: true, parse: parseBoolean,
    doc: { type: boolType, summary: 'Retained messages are supported (v5 Retain Available).', mosquitto: 'same', example: 'retain_available false' },
  }),
  withDefault({
    name: 'persistence', section: 'persistence', field: 'enabled', default: true, parse: parseBoolean,
    doc: { type: boolType, summary: 'Sessions, queues, retained messages and wills survive a restart (see docs/durability.md).', mosquitto: 'default true (mosquitto: false)', example: 'persistence false' },
  }),
  withDefault({
    name: 'persistence_location', section: 'persistence', field: 'location', repeat: 'once', default: ({ cwd }) => resolve(cwd, 'data'),
    parse: (d, c) => parsePath(d, c, 'directory-if-present'),
    doc: { type: 'path to a directory', summary: 'Directory of the SQLite store (created if missing).', mosquitto: 'same key; the store is SQLite, not mosquitto.db', example: 'persistence_location /var/lib/midge', defaultText: './data' },
  }),
  withDefault({
    name: 'persistence_sync', section: 'persistence', field: 'sync', default: 'normal', parse: (d) => parseChoice(d, ['normal', 'full'] as const),
    doc: { type: 'normal or full', summary: 'normal: acknowledged messages survive a crash of the process; full: they survive power loss too (fsync per commit).', mosquitto: 'midge only', example: 'persistence_sync full' },
  }),
  withDefault({
    name: 'sys_interval', section: 'operations', field: 'sysInterval', default: 10, parse: int(0, 65535),
    doc: { type: 'seconds, 0..65535; 0: off', summary: 'Seconds between $SYS/broker/... updates.', mosquitto: 'same', example: 'sys_interval 30' },
  }),
  withDefault({
    name: 'log_level', section: 'operations', field: 'logLevel', default: 'info', parse: (d) => parseChoice(d, ['trace', 'debug', 'info', 'warn', 'error'] as const),
    doc: { type: 'trace, debug, info, warn or error', summary: 'The least severe log line written.', mosquitto: 'midge only (mosquitto has log_type)', example: 'log_level debug' },
  }),
  withDefault({
    name: 'trace_clients', section: 'operations', field: 'traceClients', list: true, default: [], parse: parseTracePatterns,
    doc: { type: 'client id patterns (* matches any run of characters)', summary: 'Every packet to and from these clients is logged, decoded, with a hex dump.', mosquitto: 'midge only', example: 'trace_clients sensor-* gateway-1', defaultText: 'none' },
  }),
  withDefault({
    name: 'response_information_prefix', section: 'operations', field: 'responseInformationPrefix', repeat: 'once', default: 'response/',
    parse: parseResponsePrefix, format: (prefix) => prefix || undefined,
    doc: { type: 'topic prefix', summary: 'v5 Response Information for clients that ask: this prefix followed by their client id.', mosquitto: 'midge only', example: 'response_information_prefix replies/' },
  }),
  withDefault({
    name: 'mqttsn_gateway_id', section: 'mqttsn', field: 'gatewayId', default: 1, parse: int(0, 255),
    doc: { type: 'integer 0..255', summary: 'GwId of the MQTT-SN gateway in ADVERTISE and GWINFO.', mosquitto: 'midge only', example: 'mqttsn_gateway_id 7' },
  }),
  withDefault({
    name: 'mqttsn_advertise_interval', section: 'mqttsn', field: 'advertiseInterval', default: 0, parse: int(0, 65535),
    doc: { type: 'seconds, 0..65535; 0: off', summary: 'Seconds between ADVERTISE broadcasts of the MQTT-SN gateway.', mosquitto: 'midge only', example: 'mqttsn_advertise_interval 900' },
  }),
  withDefault({
    name: 'mqttsn_predefined_topic', section: 'mqttsn', field: 'predefinedTopics', repeat: 'append', default: [], parse: parsePredefinedTopic,
    doc: { type: 'topic id 1..65534, then a topic name; repeat for more', summary: 'A topic MQTT-SN clients may use by id without registering it.', mosquitto: 'midge only', example: 'mqttsn_predefined_topic 1 plant/temperature', defaultText: 'none' },
  }),
  withDefault({
    name: 'mqttsn_max_clients', section: 'mqttsn', field: 'maxClients', default: 1000, parse: int(1, 1_000_000),
    doc: { type: 'integer 1..1000000', summary: 'MQTT-SN clients tracked at once (UDP senders are cheap to spoof).', mosquitto: 'midge only', example: 'mqttsn_max_clients 5000' },
  }),
  withDefault({
    name: 'mqttsn_max_clients_per_address', section: 'mqttsn', field: 'maxClientsPerAddress', default: 100, parse: int(1, 1_000_000),
    doc: {
      type: 'integer 1..1000000', summary: 'MQTT-SN clients one IP address may have at once, so that one sender cannot take every slot.',
      details: "A forwarder's clients share its address: raise this for a forwarder that serves more.",
      mosquitto: 'midge only', example: 'mqttsn_max_clients_per_address 500',
    },
  }),
  withDefault({
    name: 'mqttsn_max_keepalive', section: 'mqttsn', field: 'maxKeepAlive', default: 3600, parse: int(1, 65535),
    doc: {
      type: 'seconds, 1..65535', summary: 'Largest keep alive Duration an MQTT-SN client may ask for; more, or 0 (none), is refused with "not supported".',
      details: 'CONNACK cannot tell a client a shorter keep alive, so a longer one is refused. A client that vanishes holds its slot for '
        + '1.5 times its keep alive; `max_keepalive` caps it too.',
      mosquitto: 'midge only', example: 'mqttsn_max_keepalive 900',
    },
  }),
  withDefault({
    name: 'confidential_topics', section: 'root', field: 'confidentialTopics', list: true, default: [], parse: parseTopicFilters,
    settle: (filters) => [...new Set(filters)],
    doc: { type: 'topic filters', summary: 'Messages on these topics are delivered over encrypted links only (see docs/security.md).', mosquitto: 'midge only', example: 'confidential_topics secrets/# plant/+/keys', defaultText: 'none' },
  }),
  defining({
    name: 'cluster_redis_url', section: 'cluster', field: 'redisUrl', repeat: 'once', parse: parseRedisUrl, format: redactUrl,
    doc: {
      type: 'redis://, rediss:// or redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/name[?sentinelPassword=...] URL',
      summary: 'Join a cluster of midge nodes sharing this Redis, or the primary Redis Sentinel manages under that name (see docs/cluster.md); passwords in it are redacted by --test-config.',
      mosquitto: 'midge only', example: 'cluster_redis_url redis+sentinel://s1:26379,s2:26379,s3:26379/midge', defaultText: 'none: the node runs alone',
    },
  }),
  optional({
    name: 'cluster_node_id', section: 'cluster', field: 'nodeId', repeat: 'once', parse: parseName,
    doc: { type: 'name without blanks', summary: "This node's name in the cluster.", mosquitto: 'midge only', example: 'cluster_node_id node-1', defaultText: 'hostname-pid' },
  }),
  optional({
    name: 'cluster_wait_replicas', section: 'cluster', field: 'waitReplicas', parse: int(0, 16),
    doc: {
      type: 'integer 0..16', summary: 'Acknowledge (PUBACK, PUBREC, CONNACK) only what this many Redis replicas have (Redis WAIT), so that a failover cannot lose it; see docs/cluster.md.',
      mosquitto: 'midge only', example: 'cluster_wait_replicas 1', defaultText: '0: acknowledgements do not wait for replicas',
    },
  }),
] as const;
