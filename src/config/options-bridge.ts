import {
  formatProtocolVersion, formatRestart, formatTopic, parseAddresses, parseNotificationTopic, parseProtocolVersion, parseRestart,
  parseStartType, parseTopic, addressUrl,
} from './bridge-values.js';
import { MAX_MQTT_PACKET_SIZE, REDACTED, unlimitedAsZero, zeroIsUnlimited } from './option-values.js';
import { optional, withDefault, type OptionDoc } from './option-spec.js';
import { parseBoolean, parseChoice, parseInteger, parseName, parsePath, parseText, singleWord } from './values.js';
import type { Directive } from './directive.js';
import type { BridgeRestart } from './types.js';

/**
 * The option table, bridge part: mosquitto.conf(5)'s `connection` blocks (see `options.ts`
 * for the table as a whole, docs/bridges.md for what a bridge does). Each option applies to
 * the bridge of the last `connection` line. Defaults that depend on other options (the
 * client ids, the notification topic, `local_cleansession`) are filled in by
 * `bridge-resolve.ts`.
 */

const boolType = 'true or false';
const fileType = 'path to a file';
const same = 'same';

/** An integer that mosquitto raises to `min` when written lower. */
function atLeast(min: number, max: number): (d: Directive) => number {
  return (d) => Math.max(min, parseInteger(d, 0, max));
}

function bool<const K extends string, const F extends string>(name: K, field: F, fallback: boolean, doc: Omit<OptionDoc, 'type'>) {
  return { name, section: 'bridge' as const, field, default: fallback, parse: parseBoolean, doc: { type: boolType, ...doc } };
}

export const bridgeOptions = [
  optional({
    name: 'address', section: 'bridge', field: 'addresses', repeat: 'once', parse: parseAddresses,
    format: (addresses) => addresses.map(addressUrl).join(' '),
    doc: {
      type: 'host[:port] or URL, one or more', summary: 'The remote brokers to dial, in order (see round_robin). A port after the last colon, 1883 by default; an IPv6 address needs one (`::1:1883`). Also URLs: mqtt://, mqtts://, ws:// and wss://host[:port]/path.',
      mosquitto: 'same; URLs, WebSocket remotes above all, are midge only', example: 'address broker.example.com:8883', defaultText: 'none: required',
    },
  }),
  withDefault(bool('round_robin', 'roundRobin', false, {
    summary: 'false: the first address is the main one; the others are tried in turn when it fails, and the bridge goes back to it as soon as it answers. true: all are equal and the bridge stays on the one that works.',
    mosquitto: same, example: 'round_robin true',
  })),
  withDefault({
    name: 'topic', section: 'bridge', field: 'topics', default: [], repeat: 'append', parse: parseTopic,
    format: (topics) => topics.map(formatTopic),
    doc: {
      type: 'PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]', summary: 'What the bridge carries: out publishes local messages matching LOCAL_PREFIX+PATTERN to the remote (prefix swapped), in brings remote messages matching REMOTE_PREFIX+PATTERN here, both does both. `""` is an empty pattern or prefix. May be repeated; the first matching line maps a topic.',
      mosquitto: same, example: 'topic sensors/# out 1 "" site1/', defaultText: 'none: at least one is required',
    },
  }),
  withDefault({
    name: 'bridge_protocol_version', section: 'bridge', field: 'protocolVersion', default: 4, parse: parseProtocolVersion, format: formatProtocolVersion,
    doc: { type: 'mqttv31, mqttv311 or mqttv50', summary: 'The MQTT version spoken to the remote.', mosquitto: same, example: 'bridge_protocol_version mqttv50', defaultText: 'mqttv311' },
  }),
  withDefault(bool('cleansession', 'cleanSession', false, {
    summary: 'The remote session (its subscriptions and what it queued for the bridge) ends with each connection.', mosquitto: same, example: 'cleansession true',
  })),
  optional({
    name: 'local_cleansession', section: 'bridge', field: 'localCleanSession', parse: parseBoolean,
    doc: {
      type: boolType, summary: "true: the bridge's local queue does not survive a restart of the broker.", mosquitto: "same (midge's local queue is on disk)",
      example: 'local_cleansession false', defaultText: 'cleansession',
    },
  }),
  withDefault({
    name: 'keepalive_interval', section: 'bridge', field: 'keepAlive', default: 60, parse: atLeast(5, 65535),
    doc: { type: 'integer 5..65535 (lower is raised to 5)', summary: 'Keep alive of the connection to the remote, in seconds.', mosquitto: same, example: 'keepalive_interval 30' },
  }),
  optional({
    name: 'remote_clientid', section: 'bridge', field: 'remoteClientId', repeat: 'once', parse: parseText,
    doc: {
      type: 'client id', summary: 'The client id on the remote.', mosquitto: 'same; in a cluster the default is the connection name alone, the same on every node',
      example: 'remote_clientid site1-edge', defaultText: 'HOSTNAME.NAME (in a cluster: NAME)',
    },
  }),
  optional({
    name: 'local_clientid', section: 'bridge', field: 'localClientId', repeat: 'once', parse: parseText,
    doc: {
      type: 'client id', summary: 'The id of the local session that holds the bridge\'s queue; no client may connect with it.', mosquitto: 'same, and reserved',
      example: 'local_clientid bridge-queue', defaultText: 'local.REMOTE_CLIENTID',
    },
  }),
  optional({
    name: 'remote_username', section: 'bridge', field: 'remoteUsername', repeat: 'once', parse: parseText,
    doc: { type: 'user name', summary: 'User name on the remote.', mosquitto: same, example: 'remote_username edge' },
  }),
  optional({
    name: 'remote_password', section: 'bridge', field: 'remotePassword', repeat: 'once', parse: parseText, format: () => REDACTED,
    doc: { type: 'password', summary: 'Password on the remote; needs remote_username. A secret: --test-config redacts it.', mosquitto: same, example: 'remote_password s3cret' },
  }),
  optional({
    name: 'bridge_cafile', section: 'bridgeTls', field: 'cafile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'CA certificates the remote is verified with; turns TLS on for host:port addresses.', mosquitto: same, example: 'bridge_cafile /etc/midge/ca.crt', defaultText: 'none: TLS only for mqtts:// and wss:// addresses, with the system\'s CAs' },
  }),
  optional({
    name: 'bridge_capath', section: 'bridgeTls', field: 'capath', repeat: 'once', parse: (d, c) => parsePath(d, c, 'directory'),
    doc: { type: 'path to a directory', summary: 'A directory of CA certificates (*.crt, *.pem); turns TLS on like bridge_cafile.', mosquitto: 'same; no c_rehash needed', example: 'bridge_capath /etc/ssl/certs' },
  }),
  optional({
    name: 'bridge_certfile', section: 'bridgeTls', field: 'certfile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'Client certificate for a remote that asks for one; needs bridge_keyfile.', mosquitto: same, example: 'bridge_certfile /etc/midge/edge.crt' },
  }),
  optional({
    name: 'bridge_keyfile', section: 'bridgeTls', field: 'keyfile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'Private key of bridge_certfile.', mosquitto: same, example: 'bridge_keyfile /etc/midge/edge.key' },
  }),
  withDefault({
    name: 'bridge_insecure', section: 'bridgeTls', field: 'insecure', default: false, parse: parseBoolean,
    doc: { type: boolType, summary: 'Do not check that the remote certificate names the host dialled (the certificate is still verified); a warning says so.', mosquitto: same, example: 'bridge_insecure true' },
  }),
  optional({
    name: 'bridge_tls_version', section: 'bridgeTls', field: 'version', parse: (d) => parseChoice(d, ['tlsv1.1', 'tlsv1.2', 'tlsv1.3'] as const),
    doc: {
      type: 'tlsv1.1, tlsv1.2 or tlsv1.3', summary: 'The lowest TLS version spoken to the remote; a later one is used when the remote speaks it.',
      mosquitto: 'same (mosquitto.conf(5) calls it the version used; mosquitto, like midge, also speaks later ones)', example: 'bridge_tls_version tlsv1.3', defaultText: 'tlsv1.2',
    },
  }),
  optional({
    name: 'bridge_alpn', section: 'bridgeTls', field: 'alpn', repeat: 'once', parse: (d) => singleWord(d),
    doc: { type: 'protocol name', summary: 'The ALPN protocol asked for in the TLS handshake.', mosquitto: same, example: 'bridge_alpn x-amzn-mqtt-ca' },
  }),
  optional({
    name: 'bridge_bind_address', section: 'bridge', field: 'bindAddress', repeat: 'once', parse: parseName,
    doc: { type: 'address', summary: 'Local address of the bridge\'s socket.', mosquitto: same, example: 'bridge_bind_address 192.168.1.10' },
  }),
  withDefault(bool('notifications', 'notifications', true, {
    summary: 'Publish the connection state: 1 or 0, retained, on notification_topic, here and (with a will) on the remote.', mosquitto: same, example: 'notifications false',
  })),
  optional({
    name: 'notification_topic', section: 'bridge', field: 'notificationTopic', repeat: 'once', parse: parseNotificationTopic,
    doc: { type: 'topic name', summary: 'Where the connection state is published.', mosquitto: same, example: 'notification_topic bridges/site1/state', defaultText: '$SYS/broker/connection/REMOTE_CLIENTID/state' },
  }),
  withDefault(bool('notifications_local_only', 'notificationsLocalOnly', false, {
    summary: 'Publish the connection state here only: no state and no will on the remote.', mosquitto: same, example: 'notifications_local_only true',
  })),
  withDefault({
    name: 'restart_timeout', section: 'bridge', field: 'restart', default: { kind: 'backoff', baseSeconds: 5, capSeconds: 30 } as BridgeRestart, parse: parseRestart, format: formatRestart,
    doc: {
      type: 'seconds, or a base and a cap in seconds', summary: 'Wait before reconnecting: a constant time, or a backoff with decorrelated jitter from the base up to the cap, back to the base after a success.',
      mosquitto: same, example: 'restart_timeout 10 60', defaultText: '5 30',
    },
  }),
  withDefault({
    name: 'start_type', section: 'bridge', field: 'startType', default: 'automatic', parse: parseStartType,
    doc: {
      type: 'automatic, lazy or once', summary: 'automatic reconnects for ever; once stops after its first connection ends or fails; lazy connects when threshold messages wait and disconnects after idle_timeout.',
      mosquitto: same, example: 'start_type lazy',
    },
  }),
  withDefault({
    name: 'idle_timeout', section: 'bridge', field: 'idleTimeout', default: 60, parse: atLeast(1, 2147483647),
    doc: { type: 'seconds', summary: 'A lazy bridge disconnects after this long without traffic.', mosquitto: same, example: 'idle_timeout 300' },
  }),
  withDefault({
    name: 'threshold', section: 'bridge', field: 'threshold', default: 10, parse: atLeast(1, 2147483647),
    doc: { type: 'integer 1 and up', summary: 'Messages waiting that make a lazy bridge connect.', mosquitto: same, example: 'threshold 100' },
  }),
  withDefault(bool('try_private', 'tryPrivate', true, {
    summary: 'Tell a 3.1/3.1.1 remote that this is a bridge (bit 0x80 of the protocol level), so it does not send back what the bridge publishes; a remote that refuses it gets an ordinary CONNECT next. Not sent over MQTT 5, which asks for No Local instead.',
    mosquitto: same, example: 'try_private false',
  })),
  withDefault(bool('bridge_outgoing_retain', 'outgoingRetain', true, {
    summary: 'false clears the RETAIN flag of everything sent to the remote.', mosquitto: same, example: 'bridge_outgoing_retain false',
  })),
  withDefault({
    name: 'bridge_max_packet_size', section: 'bridge', field: 'maxPacketSize', default: Infinity,
    parse: zeroIsUnlimited(0, MAX_MQTT_PACKET_SIZE), format: unlimitedAsZero,
    doc: {
      type: `integer 0..${MAX_MQTT_PACKET_SIZE}; 0 for no limit`, summary: 'Largest packet sent to the remote; a larger message is dropped and counted. A v5 remote\'s own maximum applies too.',
      mosquitto: same, example: 'bridge_max_packet_size 65536', defaultText: '0 (no limit)',
    },
  }),
  withDefault(bool('bridge_attempt_unsubscribe', 'attemptUnsubscribe', true, {
    summary: 'At each connection, unsubscribe on the remote from the out topics, so a line turned from in to out stops bringing messages in.',
    mosquitto: same, example: 'bridge_attempt_unsubscribe false',
  })),
] as const;
