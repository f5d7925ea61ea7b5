import { ReasonCode, reasonCodeName } from '../protocol/index.js';

/** The fields of one log call. */
export type Fields = Readonly<Record<string, unknown>>;

/** Turns an event's fields into the sentence a text line shows; the fields it used are listed. */
interface Sentence {
  /** Fields the sentence says, so the line does not repeat them after it. */
  uses: readonly string[];
  say(f: Fields): string;
}

const str = (value: unknown, fallback = '<unknown>'): string => (value === undefined || value === null || value === '' ? fallback : String(value));

/** `: a; b` for a non-empty list, else nothing. */
function listOf(value: unknown, lead: string): string {
  return Array.isArray(value) && value.length > 0 ? `${lead}${value.join('; ')}` : '';
}

/** `127.0.0.1:41964`, `[::1]:41964`, or the address alone when the port is unknown. */
export function hostPort(address: unknown, port: unknown): string {
  const host = str(address);
  const shown = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${String(port)}`;
}

/** mosquitto's `p` figure: 1 for MQTT 3.1, 2 for 3.1.1, 5 for 5.0. */
function protocolFigure(version: unknown): string {
  if (version === 3) return '1';
  if (version === 4) return '2';
  return str(version);
}

function connected(f: Fields): string {
  const user = f.username === undefined ? '' : `, u'${String(f.username)}'`;
  const clean = f.cleanStart === undefined ? '' : `, c${f.cleanStart ? 1 : 0}`;
  return `New client connected from ${hostPort(f.remoteAddress, f.remotePort)} as ${str(f.clientId)} (p${protocolFigure(f.protocolVersion)}${clean}, k${str(f.keepAlive)}${user}).`;
}

/** mosquitto's wording for why a client went away, with midge's reason where it adds something. */
function disconnected(f: Fields): string {
  const id = str(f.clientId);
  const code = typeof f.reasonCode === 'number' ? f.reasonCode : ReasonCode.UnspecifiedError;
  const reason = str(f.reason, '');
  if (reason === 'client sent DISCONNECT') {
    return code === ReasonCode.Success ? `Client ${id} disconnected.` : `Client ${id} disconnected (${reasonCodeName(code)}).`;
  }
  switch (code) {
    case ReasonCode.KeepAliveTimeout: return `Client ${id} has exceeded timeout, disconnecting.`;
    case ReasonCode.SessionTakenOver: return `Client ${id} already connected, closing old connection.`;
    case ReasonCode.MalformedPacket: return `Client ${id} disconnected due to malformed packet: ${reason}.`;
    case ReasonCode.ProtocolError: return `Client ${id} disconnected due to protocol error: ${reason}.`;
    case ReasonCode.PacketTooLarge: return `Client ${id} disconnected due to oversize packet: ${reason}.`;
    case ReasonCode.NotAuthorized: case ReasonCode.BadUserNameOrPassword: return `Client ${id} disconnected, not authorised: ${reason}.`;
    case ReasonCode.ServerShuttingDown: return `Client ${id} disconnected: ${reason}.`;
  }
  if (reason === 'connection lost') return `Client ${id} closed its connection.`;
  if (reason.startsWith('socket error')) return `Socket error on client ${id}, disconnecting (${reason}).`;
  return `Client ${id} disconnected: ${reasonCodeName(code)}: ${reason}.`;
}

function refused(f: Fields): string {
  const id = str(f.clientId);
  const code = typeof f.reasonCode === 'number' ? f.reasonCode : ReasonCode.UnspecifiedError;
  const from = hostPort(f.remoteAddress, f.remotePort);
  if (code === ReasonCode.NotAuthorized || code === ReasonCode.BadUserNameOrPassword) {
    return `Client ${id} from ${from} disconnected, not authorised: ${str(f.reason)}.`;
  }
  return `Client ${id} from ${from} refused: ${reasonCodeName(code)}: ${str(f.reason)}.`;
}

function failed(f: Fields): string {
  const more = typeof f.suppressed === 'number' && f.suppressed > 0
    ? ` (${f.suppressed} more from this address were not logged)` : '';
  return `Client connection from ${hostPort(f.remoteAddress, f.remotePort)} on ${str(f.listener)} failed: ${str(f.reason)}.${more}`;
}

const SENTENCES: ReadonlyMap<string, Sentence> = new Map<string, Sentence>([
  ['client connected', {
    uses: ['clientId', 'username', 'listener', 'remoteAddress', 'remotePort', 'protocolVersion', 'cleanStart', 'keepAlive', 'reasonCode', 'sessionPresent'],
    say: connected,
  }],
  ['client disconnected', { uses: ['clientId', 'username', 'listener', 'remoteAddress', 'remotePort', 'reasonCode', 'reason'], say: disconnected }],
  ['connection refused', { uses: ['clientId', 'listener', 'remoteAddress', 'remotePort', 'reasonCode', 'reason'], say: refused }],
  ['connection failed', { uses: ['remoteAddress', 'remotePort', 'listener', 'kind', 'reason', 'suppressed'], say: failed }],
  ['listening', {
    uses: ['listener', 'protocol', 'address', 'port'],
    say: (f) => `Opening ${str(f.protocol)} listen socket on ${hostPort(f.address, f.port)} (${str(f.listener)}).`,
  }],
  ['listener closed', { uses: ['listener', 'reason'], say: (f) => `Closed listener ${str(f.listener)}: ${str(f.reason)}.` }],
  ['not authorized', {
    uses: ['clientId', 'action', 'topic'],
    say: (f) => `Denied ${str(f.action).toUpperCase()} from ${str(f.clientId)} on '${str(f.topic, '')}'.`,
  }],
  ['subscribed', { uses: ['clientId', 'qos', 'filter'], say: (f) => `${str(f.clientId)} ${str(f.qos)} ${str(f.filter)}` }],
  ['unsubscribed', { uses: ['clientId', 'filter'], say: (f) => `${str(f.clientId)} ${str(f.filter)}` }],
  ['store restored', {
    uses: ['store', 'sessions', 'retained'],
    say: (f) => `Restored ${str(f.sessions)} sessions and ${str(f.retained)} retained messages from the ${str(f.store)} store.`,
  }],
  ['configuration warning', { uses: ['warning'], say: (f) => str(f.warning) }],
  ['reloaded', { uses: ['file'], say: (f) => `Reloaded ${str(f.file)}.` }],
  ['starting', { uses: ['version'], say: (f) => `midge version ${str(f.version)} starting` }],
  ['config loaded', { uses: ['file'], say: (f) => `Config loaded from ${str(f.file)}.` }],
  ['running', { uses: ['version'], say: (f) => `midge version ${str(f.version)} running` }],
  ['shutting down', { uses: ['version', 'signal'], say: (f) => `midge version ${str(f.version)} terminating (${str(f.signal)}).` }],
  ['reloading', { uses: ['signal'], say: () => 'Reloading config.' }],
  ['reload complete', { uses: ['applied'], say: (f) => `Reload complete${listOf(f.applied, ': ')}.` }],
  ['reload needs a restart', {
    uses: ['applied', 'restartNeeded'],
    say: (f) => `Reload applied${listOf(f.applied, ': ') || ' nothing new'}; these changes take effect only after a restart of midge${listOf(f.restartNeeded, ': ')}.`,
  }],
]);

/** The sentence for an event, or undefined when it has none (the message is shown as it is). */
export function sentenceFor(message: string): Sentence | undefined {
  return SENTENCES.get(message);
}
