import type { Command } from 'commander';
import type { ToolName } from '../mqtt-tools/connection-flags.js';

/** One subcommand of `midge`: loaded only when it is the one being run. */
export interface CommandEntry {
  name: string;
  /** One line for `midge --help`. */
  summary: string;
  load(): Promise<() => Command>;
  /** Reads options from the per-user defaults file of this tool first (`~/.config/midge_pub`). */
  defaults?: ToolName;
}

/**
 * Every subcommand of `midge`. Each lives in its own file and is imported only
 * when run, so `midge pub` does not pay for loading the broker, SQLite or the
 * benchmark workers. Add a row here when you add a command.
 */
export const commands: readonly CommandEntry[] = [
  { name: 'broker', summary: 'run the MQTT broker in the foreground (default: 127.0.0.1:1883, local clients only)', load: async () => (await import('./broker.js')).brokerCommand },
  { name: 'pub', summary: 'publish a message and exit (the flags and exit codes of mosquitto_pub)', load: async () => (await import('./pub.js')).pubCommand, defaults: 'pub' },
  { name: 'sub', summary: 'subscribe to topics and print the messages (the flags and exit codes of mosquitto_sub)', load: async () => (await import('./sub.js')).subCommand, defaults: 'sub' },
  { name: 'rr', summary: 'publish a request and wait for the response (the flags and exit codes of mosquitto_rr)', load: async () => (await import('./rr.js')).rrCommand, defaults: 'rr' },
  { name: 'passwd', summary: 'manage Mosquitto-compatible password files', load: async () => (await import('./passwd.js')).passwdCommand },
  { name: 'store', summary: 'check, repair or export a SQLite store (midge store check|repair|export [dir])', load: async () => (await import('./store.js')).storeCommand },
  { name: 'bench', summary: 'load an MQTT broker and measure throughput, latency and connections', load: async () => (await import('./bench.js')).benchCommand },
  { name: 'sn-pub', summary: 'publish a message to an MQTT-SN gateway and exit (in the style of mqtt-sn-pub)', load: async () => (await import('./sn-pub.js')).snPubCommand },
  { name: 'sn-sub', summary: 'subscribe at an MQTT-SN gateway and print the messages (in the style of mqtt-sn-sub)', load: async () => (await import('./sn-sub.js')).snSubCommand },
];
