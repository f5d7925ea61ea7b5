/**
 * A broker configured the way `midge broker -c FILE` is: `loadConfig` reads a
 * mosquitto.conf (or YAML) file, `startFromConfig` builds the store, listeners and
 * security from it, and `reload()` re-reads passwords, ACLs and certificates, here on
 * SIGHUP as the CLI does.
 *
 *   node --import tsx examples/embedded-from-config.ts midge.conf
 */
import { loadConfig, startFromConfig, type Logger } from 'midge';

const file = process.argv[2];
if (!file) throw new Error('usage: embedded-from-config.ts CONFIG-FILE');

/** The broker logs through this port; here, one line per record on stdout. */
const logger: Logger = {
  error: (fields, message) => console.error(`error: ${message} ${JSON.stringify(fields)}`),
  warn: (fields, message) => console.log(`warn: ${message} ${JSON.stringify(fields)}`),
  info: (_fields, message) => console.log(`info: ${message}`),
  debug: () => undefined,
};

const config = loadConfig({ file });
const { server, reload } = await startFromConfig(config, logger);
for (const listener of server.listeners) console.log(`listening: ${listener.name} on ${listener.host ?? '*'}:${listener.port}`);

// SIGHUP: the file read again; listeners added, removed or changed are applied.
process.on('SIGHUP', () => void Promise.resolve().then(() => reload(loadConfig({ file }))).then(({ failed, restartNeeded }) => {
  if (failed.length > 0) console.log(`reload failed: ${failed.join(', ')}`);
  else console.log(restartNeeded.length > 0 ? `reloaded; restart for: ${restartNeeded.join(', ')}` : 'reloaded');
}, (err: unknown) => console.log(`reload failed: ${String(err)}`)));
const stop = (): void => void server.close().then(() => console.log('stopped'));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
