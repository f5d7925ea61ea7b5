import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { silentLogger } from '../../src/broker/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startFromConfig } from '../../src/server/index.js';
import type { MidgeServer } from '../../src/server/index.js';
import { basic, writePasswordFile } from '../helpers/admin.js';

/** The admin user, its password, and the token of {@link startAdminBroker}. */
export const ADMIN = { user: 'ops', password: 'pa55-w0rd', token: 'test-token-0123456789abcdef' };
/** A user of the password file who is not an admin. */
export const NOT_ADMIN = { user: 'bob', password: 'bobs-password' };

/** A broker started in-process from a configuration with an admin listener. */
export interface AdminBroker {
  server: MidgeServer;
  mqttPort: number;
  adminPort: number;
  /** Basic credentials of the admin user. */
  basicAuth: string;
  bearerAuth: string;
}

/**
 * Starts midge the way `midge broker -c` does (config -> startFromConfig) on
 * random loopback ports: an MQTT listener (anonymous clients allowed), an http
 * admin listener, a password file with an admin user and another user, and a token.
 */
export async function startAdminBroker(t: Pick<TestContext, 'after'>, extra = ''): Promise<AdminBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'midge-admin-'));
  const passwordFile = await writePasswordFile(dir, { [ADMIN.user]: ADMIN.password, [NOT_ADMIN.user]: NOT_ADMIN.password });
  const file = join(dir, 'midge.conf');
  await writeFile(file, [
    `password_file ${passwordFile}`, `admin_user ${ADMIN.user}`, `admin_token ${ADMIN.token}`, 'persistence false',
    'listener 0 127.0.0.1', 'allow_anonymous true', 'listener 0 127.0.0.1', 'protocol http', extra, '',
  ].join('\n'));
  const { server } = await startFromConfig(loadConfig({ file, env: {} }), silentLogger);
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    server, mqttPort: server.listeners[0]!.port, adminPort: server.admin!.port,
    basicAuth: basic(ADMIN.user, ADMIN.password), bearerAuth: `Bearer ${ADMIN.token}`,
  };
}
