import { formatMaxConnections, parseMaxConnections, parseWebsocketsPath } from './option-values.js';
import { defining, optional, withDefault } from './option-spec.js';
import { parseBoolean, parseChoice, parsePath, singleWord } from './values.js';

/**
 * The option table, first part: listeners, their TLS settings and the security settings
 * (see `options.ts` for the table as a whole and how to add an option).
 */

const boolType = 'true or false';
const fileType = 'path to a file';

export const listenerOptions = [
  withDefault({
    name: 'protocol', section: 'listener', field: 'protocol', default: 'mqtt',
    parse: (d) => parseChoice(d, ['mqtt', 'websockets', 'mqttsn', 'http'] as const),
    doc: {
      type: 'mqtt, websockets, mqttsn or http', summary: 'What the listener speaks: MQTT over TCP, MQTT over WebSocket, MQTT-SN over UDP (the gateway), or the admin API and dashboard over HTTP.',
      mosquitto: 'mqttsn and http are midge only', example: 'protocol websockets',
    },
  }),
  withDefault({
    name: 'max_connections', section: 'limits', field: 'maxConnections', scope: 'listener-or-global', default: Infinity,
    parse: parseMaxConnections, format: formatMaxConnections,
    doc: {
      type: 'integer; -1 for as many as the process can hold', summary: 'Connections the listener accepts at once. Before any `listener` line it is the default of every listener.',
      details: 'Left at -1 (or 0), an MQTT listener holds at most an equal share of the process\'s open-file limit, less a reserve '
        + 'for the store, logs and the admin listener (a tenth of the limit, from 32 to 256): a flood of sockets on one listener '
        + 'fills that listener, never the descriptors the process and the other listeners need. A full listener closes new '
        + 'sockets at once (`midge_connections_failed_total{kind="limit"}`, a log line per source address at most once a minute).',
      mosquitto: '-1 and 0 mean no limit there; here, a share of the open-file limit', example: 'max_connections 5000', defaultText: '-1 (a share of the open-file limit)',
    },
  }),
  optional({
    name: 'socket_domain', section: 'listener', field: 'socketDomain', parse: (d) => parseChoice(d, ['ipv4', 'ipv6'] as const),
    doc: { type: 'ipv4 or ipv6', summary: 'Binds the listener to one address family only.', mosquitto: 'same', example: 'socket_domain ipv4', defaultText: 'whatever the address resolves to' },
  }),
  optional({
    name: 'websockets_path', section: 'listener', field: 'websocketsPath', repeat: 'once', parse: parseWebsocketsPath,
    doc: {
      type: 'URL path starting with /', summary: 'A WebSocket listener accepts upgrades on this path only.',
      mosquitto: 'midge only (mosquitto accepts any path)', example: 'websockets_path /mqtt', defaultText: 'any path',
    },
  }),
  withDefault({
    name: 'confidential', section: 'listener', field: 'confidential', default: false, parse: parseBoolean,
    doc: {
      type: boolType, summary: 'Everything published through this listener is confidential: delivered over encrypted links only (see docs/security.md).',
      details: 'A TLS listener (mqtts, wss) that does not say is confidential when a plain listener (MQTT, WebSocket or MQTT-SN) is '
        + 'open beyond loopback, and a warning at start-up says so: `confidential false` opts out. Plain listeners bound to loopback '
        + 'change nothing.',
      mosquitto: 'midge only', example: 'confidential true', defaultText: 'true on a TLS listener beside a plain one open beyond loopback, else false',
    },
  }),
  defining({
    name: 'certfile', section: 'tls', field: 'certfile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'PEM certificate (chain) of the server. With keyfile, makes the listener TLS (mqtts, wss, https).', mosquitto: 'same', example: 'certfile /etc/midge/server.crt', defaultText: 'none: no TLS' },
  }),
  defining({
    name: 'keyfile', section: 'tls', field: 'keyfile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'PEM private key of certfile.', mosquitto: 'same', example: 'keyfile /etc/midge/server.key', defaultText: 'none: no TLS' },
  }),
  optional({
    name: 'cafile', section: 'tls', field: 'cafile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'PEM certificates of the authorities client certificates are checked against.', mosquitto: 'same', example: 'cafile /etc/midge/ca.crt', defaultText: 'none' },
  }),
  optional({
    name: 'capath', section: 'tls', field: 'capath', repeat: 'once', parse: (d, c) => parsePath(d, c, 'directory'),
    doc: { type: 'path to a directory', summary: 'A directory of PEM authority certificates, as cafile.', mosquitto: 'same', example: 'capath /etc/ssl/certs', defaultText: 'none' },
  }),
  optional({
    name: 'crlfile', section: 'tls', field: 'crlfile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'PEM certificate revocation list checked on client certificates.', mosquitto: 'same', example: 'crlfile /etc/midge/ca.crl', defaultText: 'none' },
  }),
  optional({
    name: 'ciphers', section: 'tls', field: 'ciphers', repeat: 'once', parse: (d) => singleWord(d),
    doc: { type: 'OpenSSL cipher list', summary: 'Ciphers offered for TLS 1.2 and below.', mosquitto: 'same', example: 'ciphers ECDHE-RSA-AES256-GCM-SHA384', defaultText: "Node.js's default" },
  }),
  optional({
    name: 'tls_version', section: 'tls', field: 'tlsVersion', parse: (d) => parseChoice(d, ['tlsv1.1', 'tlsv1.2', 'tlsv1.3'] as const),
    doc: { type: 'tlsv1.1, tlsv1.2 or tlsv1.3', summary: 'The lowest TLS version accepted.', mosquitto: 'same', example: 'tls_version tlsv1.2', defaultText: "Node.js's default (TLS 1.2)" },
  }),
  withDefault({
    name: 'require_certificate', section: 'tls', field: 'requireCertificate', default: false, parse: parseBoolean,
    doc: { type: boolType, summary: 'Clients must present a certificate signed by cafile/capath.', mosquitto: 'same', example: 'require_certificate true' },
  }),
  withDefault({
    name: 'use_identity_as_username', section: 'tls', field: 'useIdentityAsUsername', default: false, parse: parseBoolean,
    doc: { type: boolType, summary: "The client certificate's CN becomes the user name (no password needed).", mosquitto: 'same', example: 'use_identity_as_username true' },
  }),
  withDefault({
    name: 'use_subject_as_username', section: 'tls', field: 'useSubjectAsUsername', default: false, parse: parseBoolean,
    doc: { type: boolType, summary: "The client certificate's full subject becomes the user name.", mosquitto: 'same', example: 'use_subject_as_username true' },
  }),
  withDefault({
    name: 'allow_anonymous', section: 'security', field: 'allowAnonymous', default: ({ localOnly }) => localOnly, parse: parseBoolean,
    doc: {
      type: boolType, summary: 'Clients without a user name may connect.', mosquitto: 'same (Mosquitto 2)', example: 'allow_anonymous false',
      defaultText: 'true when the configuration declares no listener (midge then listens on 127.0.0.1 only), else false',
    },
  }),
  optional({
    name: 'password_file', section: 'security', field: 'passwordFile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: {
      type: fileType, summary: 'Users and password hashes, as `midge passwd` or mosquitto_passwd write them.', mosquitto: 'same format',
      example: 'password_file /etc/midge/passwd', defaultText: 'none',
      details: "Mosquitto's format, `user:$7$...` (or `$6$`) per line; every entry must be a valid hash and every user unique, "
        + 'or the broker refuses to start (naming file and line). Reloaded on SIGHUP.',
    },
  }),
  optional({
    name: 'acl_file', section: 'security', field: 'aclFile', repeat: 'once', parse: (d, c) => parsePath(d, c, 'file'),
    doc: { type: fileType, summary: 'Who may publish and subscribe to what.', mosquitto: 'same format', example: 'acl_file /etc/midge/acl', defaultText: 'none: everything allowed' },
  }),
  withDefault({
    name: 'allow_zero_length_clientid', section: 'security', field: 'allowZeroLengthClientId', default: true, parse: parseBoolean,
    doc: { type: boolType, summary: 'A client may connect with an empty client id and be assigned one [MQTT-3.1.3-6].', mosquitto: 'same', example: 'allow_zero_length_clientid false' },
  }),
] as const;
