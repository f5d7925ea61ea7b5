import { InvalidArgumentError, type Command } from 'commander';
import { topicNameProblem, type Properties, type ProtocolVersion, type QoS } from '../../protocol/index.js';
import { ScramSha256, type ClientOptions } from '../../client/index.js';
import {
  NEVER_EXPIRES, PROTOCOL_VERSION_HELP, parseKeepAlive, parsePort, parseProtocolVersion, parseQoS, parseSessionExpiry,
} from './flag-parsers.js';
import { parsePropertyFlags, type PropertySets } from './property-flags.js';
import { tlsOptionsFrom, type TlsFlags } from './tls-flags.js';
import { CliError } from '../errors.js';

/** The three tools, for defaults that differ between them. */
export type ToolName = 'pub' | 'sub' | 'rr';

/** The flags every tool shares, as commander parses them. */
export interface ConnectionFlags extends TlsFlags {
  host: string;
  port?: number;
  url?: string;
  username?: string;
  pw?: string;
  authMethod?: AuthMethod;
  id?: string;
  idPrefix?: string;
  keepalive: number;
  disableCleanSession?: boolean;
  sessionExpiryInterval?: number;
  protocolVersion?: ProtocolVersion;
  qos: QoS;
  property?: string[];
  bindAddress?: string;
  nodelay?: boolean;
  debug?: boolean;
  trace?: boolean;
  quiet?: boolean;
  willTopic?: string;
  willPayload?: string;
  willQos?: QoS;
  willRetain?: boolean;
}

/** The MQTT 5 enhanced authentication methods the tools speak. */
export type AuthMethod = 'SCRAM-SHA-256';

/** `--auth-method`: the method's name, in any case. */
function parseAuthMethod(text: string): AuthMethod {
  if (text.toUpperCase() === 'SCRAM-SHA-256') return 'SCRAM-SHA-256';
  throw new InvalidArgumentError('Use SCRAM-SHA-256, the one method the tools speak.');
}

/** Adds the connection flags of mosquitto_pub/sub/rr to a command. `-h` is the host; help is `--help`. */
export function addConnectionFlags(command: Command): Command {
  return command
    .helpOption('--help', 'display this message')
    .option('-h, --host <host>', 'MQTT host to connect to', 'localhost')
    .option('-p, --port <port>', 'network port (default 1883, 8883 with TLS)', parsePort)
    .option('-L, --url <url>', 'mqtt(s)://[username[:password]@]host[:port]/topic; also ws:// and wss://')
    .option('-u, --username <username>', 'user name')
    .option('-P, --pw <password>', 'password')
    .option('--auth-method <method>', 'SCRAM-SHA-256: MQTT 5 enhanced authentication with -u and -P; the password never leaves this machine, and the broker must prove it knows the user (implies -V 5)', parseAuthMethod)
    .option('-i, --id <id>', 'client identifier (default midge_<tool>_<pid>)')
    .option('-I, --id-prefix <prefix>', 'client identifier: this prefix followed by the process id')
    .option('-k, --keepalive <seconds>', 'keep alive in seconds', parseKeepAlive, 60)
    .option('-c, --disable-clean-session', 'keep the session (clean session/clean start 0)')
    .option('-x, --session-expiry-interval <seconds>', 'v5 session expiry interval; -1 never expires', parseSessionExpiry)
    .option('-V, --protocol-version <version>', PROTOCOL_VERSION_HELP, parseProtocolVersion)
    .option('-q, --qos <qos>', 'quality of service: 0, 1 or 2', parseQoS, 0 as QoS)
    .option('-D, --property <command-property-value...>', 'v5 property: -D command property value (user-property takes name value)')
    .option('-A, --bind-address <address>', 'local address to bind the socket to')
    .option('--nodelay', 'disable Nagle\'s algorithm (always disabled by midge)')
    .option('-d, --debug', 'print every packet sent and received (to stderr)')
    .option('--trace', 'print every packet sent and received decoded, with a hex dump of its bytes (to stderr)')
    .option('--quiet', 'do not print error messages')
    .option('--will-topic <topic>', 'topic of the will message')
    .option('--will-payload <payload>', 'payload of the will message')
    .option('--will-qos <qos>', 'QoS of the will message', parseQoS)
    .option('--will-retain', 'retain the will message')
    .option('--cafile <file>', 'trusted CA certificates (PEM); turns TLS on')
    .option('--capath <dir>', 'directory of trusted CA certificates (PEM); turns TLS on')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client private key (PEM)')
    .option('--insecure', 'do not check that the server certificate names the host')
    .option('--tls-version <version>', 'tlsv1.3, tlsv1.2 or tlsv1.1')
    .option('--ciphers <list>', 'OpenSSL cipher list')
    .addHelpText('after', `
Defaults: options in $XDG_CONFIG_HOME/midge_${command.name()} (else ~/.config/midge_${command.name()}) are read
first, one per line ("-h broker.example", "-u alice"; # starts a comment), as mosquitto_${command.name()}
reads ~/.config/mosquitto_${command.name()}. Options given here override them.`);
}

/** How a tool connects, from its flags. */
export interface ConnectionSetup {
  url: URL;
  options: ClientOptions;
  version: ProtocolVersion;
  /** The topic of `-L url/topic`, if the URL had one. */
  urlTopic?: string;
  /** The `-D` properties by packet (empty below MQTT 5). */
  properties: PropertySets;
  /** `--trace`: print each packet decoded with its bytes. */
  trace: boolean;
}

/**
 * Checks the flags as mosquitto's tools do and turns them into a URL and client
 * options. Throws {@link CliError} with mosquitto's wording for bad combinations.
 */
export function connectionSetup(flags: ConnectionFlags, tool: ToolName): ConnectionSetup {
  const version = flags.protocolVersion ?? (tool === 'rr' || flags.authMethod ? 5 : 4);
  const properties = parsePropertyFlags(flags.property ?? []);
  if (version !== 5 && Object.keys(properties).length > 0) throw new CliError('-D properties need MQTT v5 (-V 5).');
  const target = targetOf(flags);
  const tls = tlsOptionsFrom(flags);
  const secure = target.secure || tls.turnsOn;
  const scheme = target.websocket ? (secure ? 'wss' : 'ws') : (secure ? 'mqtts' : 'mqtt');
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const port = target.port ?? (target.websocket ? (secure ? 443 : 80) : (secure ? 8883 : 1883));
  const url = new URL(`${scheme}://${host}:${port}`);
  const options: ClientOptions = {
    protocolVersion: version,
    clientId: clientIdOf(flags, tool),
    clean: !flags.disableCleanSession,
    keepAlive: flags.keepalive,
    reconnect: false,
  };
  Object.assign(options, credentialsOf(flags, target, version));
  if (secure) options.tls = tls.options;
  if (flags.bindAddress) options.localAddress = flags.bindAddress;
  const connectProperties = connectPropertiesOf(flags, version, properties.connect);
  if (connectProperties) options.properties = connectProperties;
  const will = willOf(flags, properties.will);
  if (will) options.will = will;
  return { url, options, version, properties, trace: flags.trace ?? false, ...(target.topic ? { urlTopic: target.topic } : {}) };
}

interface Target {
  host: string;
  port?: number;
  secure: boolean;
  websocket: boolean;
  username?: string;
  password?: string;
  topic?: string;
}

/** Host, port and credentials from `-h`/`-p`, or from `-L` when given. */
function targetOf(flags: ConnectionFlags): Target {
  if (!flags.url) return { host: flags.host, ...(flags.port ? { port: flags.port } : {}), secure: false, websocket: false };
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new CliError('Invalid URL for -L argument specified.');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['mqtt', 'mqtts', 'ws', 'wss'].includes(scheme)) throw new CliError('unsupported URL scheme.');
  const target: Target = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || flags.host,
    secure: scheme === 'mqtts' || scheme === 'wss',
    websocket: scheme === 'ws' || scheme === 'wss',
  };
  if (url.port) target.port = Number(url.port);
  else if (flags.port) target.port = flags.port;
  if (url.username) target.username = decodeURIComponent(url.username);
  if (url.password) target.password = decodeURIComponent(url.password);
  const topic = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (topic) target.topic = topic;
  return target;
}

/**
 * User name and password: in CONNECT, or with `--auth-method` the enhanced authentication
 * that proves the password without sending it (MQTT 5.0 section 4.12).
 */
function credentialsOf(flags: ConnectionFlags, target: Target, version: ProtocolVersion): Pick<ClientOptions, 'username' | 'password' | 'authenticator'> {
  const username = target.username ?? flags.username;
  const password = target.password ?? flags.pw;
  if (flags.authMethod) {
    if (version !== 5) throw new CliError(`--auth-method ${flags.authMethod} is MQTT 5 enhanced authentication: use -V 5, or leave -V out.`);
    if (username === undefined || password === undefined) throw new CliError(`--auth-method ${flags.authMethod} needs a user name (-u) and a password (-P).`);
    return { authenticator: new ScramSha256(username, password) };
  }
  return { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function clientIdOf(flags: ConnectionFlags, tool: ToolName): string {
  if (flags.id !== undefined && flags.idPrefix !== undefined) throw new CliError('-i and -I argument cannot be used together.');
  if (flags.id === '') throw new CliError('Invalid id.');
  if (flags.disableCleanSession && flags.id === undefined) {
    throw new CliError('You must provide a client id if you are using the -c option.');
  }
  if (flags.sessionExpiryInterval === NEVER_EXPIRES && flags.id === undefined) {
    throw new CliError('You must provide a client id if you are using an infinite session expiry interval.');
  }
  if (flags.id !== undefined) return flags.id;
  return `${flags.idPrefix ?? `midge_${tool}_`}${process.pid}`;
}

/**
 * v5 CONNECT properties: the `-D connect` ones, and the Session Expiry Interval of
 * `-x`, which defaults to "never" with `-c` and to 0 otherwise, as in mosquitto.
 */
function connectPropertiesOf(flags: ConnectionFlags, version: ProtocolVersion, fromD: Properties | undefined): Properties | undefined {
  if (version !== 5) return undefined;
  const expiry = flags.sessionExpiryInterval ?? (flags.disableCleanSession ? NEVER_EXPIRES : undefined);
  if (expiry === undefined || expiry === 0) return fromD;
  return { ...fromD, sessionExpiryInterval: expiry };
}

function willOf(flags: ConnectionFlags, properties: Properties | undefined): ClientOptions['will'] {
  if (flags.willTopic === undefined) {
    if (flags.willPayload !== undefined) throw new CliError('Will payload given, but no will topic given.');
    if (flags.willRetain) throw new CliError('Will retain given, but no will topic given.');
    return undefined;
  }
  if (topicNameProblem(flags.willTopic)) {
    throw new CliError(`Invalid will topic '${flags.willTopic}', does it contain '+' or '#'?`);
  }
  return {
    topic: flags.willTopic,
    payload: flags.willPayload ?? '',
    qos: flags.willQos ?? 0,
    retain: flags.willRetain ?? false,
    ...(properties ? { properties } : {}),
  };
}
