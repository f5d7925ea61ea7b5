import { InvalidArgumentError, type Command } from 'commander';
import type { QoS } from '../../protocol/index.js';
import type { SnClientOptions } from '../../sn/client/index.js';
import { snMsgTypeName, type SnPlainMessage, type SnQoS } from '../../sn/protocol/index.js';
import { parseKeepAlive, parsePort } from '../mqtt-tools/flag-parsers.js';

/** The flags `midge sn-pub` and `midge sn-sub` share, as mqtt-sn-tools spells them. */
export interface SnConnectionFlags {
  host: string;
  port: number;
  id?: string;
  keepalive: number;
  debug?: boolean;
  fe?: boolean;
  wlnid?: string;
  tretry: number;
  nretry: number;
}

/** The port a midge MQTT-SN gateway listens on by default. */
const DEFAULT_SN_PORT = 1884;

/**
 * Adds `-h -p -i -k -d --fe --wlnid --tretry --nretry`. `-h` is the host, as in
 * mqtt-sn-tools, so help is `--help` only.
 */
export function addSnConnectionFlags(command: Command): Command {
  return command
    .helpOption('--help', 'display help for command')
    .option('-h, --host <host>', 'MQTT-SN gateway to connect to', '127.0.0.1')
    .option('-p, --port <port>', 'UDP port of the gateway', parsePort, DEFAULT_SN_PORT)
    .option('-i, --id <clientid>', 'client id (default midge-sn- and the process id)')
    .option('-k, --keepalive <seconds>', 'keep alive in seconds', parseKeepAlive, 10)
    .option('-d, --debug', 'print every message sent and received on stderr')
    .option('--fe', 'send through a forwarder encapsulation [MQTT-SN-1.2 5.5]')
    .option('--wlnid <hex>', 'with --fe: the wireless node id, in hex (default: the process id)')
    .option('--tretry <seconds>', 'seconds before a request is sent again [MQTT-SN-1.2 6.13]', parseRetry, 10)
    .option('--nretry <count>', 'times a request is sent again before giving up [MQTT-SN-1.2 6.13]', parseRetryCount, 3)
    .addHelpText('after', `
A gateway that does not answer fails a request after Tretry x (Nretry + 1) seconds (40 by
default); a host with nothing on the port says so at once (ICMP port unreachable).`);
}

function parseRetryCount(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 255) throw new InvalidArgumentError('expected a whole number from 0 to 255.');
  return value;
}

function parseRetry(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expected a number of seconds above 0.');
  return value;
}

/** `-e`: a sleep duration, 1 to 65535 seconds (the Duration of DISCONNECT [MQTT-SN-1.2 5.4.21]). */
export function parseSleep(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) throw new InvalidArgumentError('the sleep duration must be from 1 to 65535 seconds.');
  return value;
}

/** `-q` of sn-pub: -1 (no connection), 0, 1 or 2 [MQTT-SN-1.2 5.3.4]. */
export function parseSnQos(text: string): SnQoS {
  if (!['-1', '0', '1', '2'].includes(text)) throw new InvalidArgumentError('QoS must be -1, 0, 1 or 2.');
  return Number(text) as SnQoS;
}

/** `-q` of sn-sub: 0, 1 or 2. */
export function parseSubscribeQos(text: string): QoS {
  if (!['0', '1', '2'].includes(text)) throw new InvalidArgumentError('QoS must be 0, 1 or 2.');
  return Number(text) as QoS;
}

/** `-T`: a predefined topic id, 1 to 65534 (0 and 0xFFFF are reserved [MQTT-SN-1.2 5.3.11]). */
export function parseTopicId(text: string): number {
  const value = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > 0xfffe) throw new InvalidArgumentError('a topic id must be from 1 to 65534.');
  return value;
}

/** `-T` that may repeat. */
export function collectTopicIds(text: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseTopicId(text)];
}

/** One line per message for `-d`, on stderr. */
function trace(direction: 'in' | 'out', message: SnPlainMessage): void {
  const fields = Object.entries(message)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${Buffer.isBuffer(value) ? `(${value.length} bytes)` : JSON.stringify(value)}`);
  process.stderr.write(`${direction === 'out' ? 'Sending' : 'Received'} ${snMsgTypeName(message.type)} ${fields.join(' ')}\n`);
}

/** Client options from the flags. */
export function snClientOptions(flags: SnConnectionFlags, cleanSession: boolean): SnClientOptions {
  let forwarder: SnClientOptions['forwarder'];
  if (flags.fe) {
    const hex = flags.wlnid ?? process.pid.toString(16).padStart(4, '0');
    if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new InvalidArgumentError('--wlnid must be an even number of hex digits.');
    forwarder = { radius: 0, wirelessNodeId: Buffer.from(hex, 'hex') };
  }
  return {
    host: flags.host, port: flags.port, clientId: flags.id ?? `midge-sn-${process.pid}`, keepAlive: flags.keepalive,
    cleanSession, tRetry: flags.tretry, nRetry: flags.nretry, forwarder, trace: flags.debug ? trace : undefined,
  };
}
