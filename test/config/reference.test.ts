import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { OptionDefinition } from '../../src/config/option-spec.js';
import { ALIASES, OPTION_TABLE, STRUCTURAL_DOCS } from '../../src/config/options.js';
import { configurationReference } from '../../src/config/reference.js';
import { ConfigSandbox } from './helpers.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

const sandbox = new ConfigSandbox();
before(() => {
  for (const name of ['cert.pem', 'key.pem']) sandbox.write(name, 'x\n');
});
after(() => sandbox.cleanup());

/** A bridge block for a bridge option's example: what a bridge needs, less the option itself. */
function bridgeContext(option: OptionDefinition): string {
  const lines = ['connection example'];
  if (option.slot !== 'address') lines.push('address broker.example.com');
  if (option.slot !== 'topic') lines.push('topic sensors/#');
  if (option.slot === 'remote_password') lines.push('remote_username edge');
  if (option.section === 'bridgeTls') lines.push('bridge_cafile cert.pem');
  return `${lines.join('\n')}\n`;
}

/** The lines an option's example needs around it to load: a listener, TLS files, the option it depends on. */
function context(option: OptionDefinition): string {
  if (option.scope === 'bridge') return bridgeContext(option);
  if (option.name === 'cluster_node_id' || option.name === 'cluster_wait_replicas') return 'cluster_redis_url redis://127.0.0.1:6379\n';
  if (option.section === 'tls') return 'listener 8883\ncertfile cert.pem\nkeyfile key.pem\n'.replace(`${option.name} `, '# ');
  if (option.name === 'websockets_path') return 'listener 8080\nprotocol websockets\n';
  return option.scope === 'listener' ? 'listener 8883\n' : '';
}

describe('docs/configuration.md', () => {
  it('is what the option table generates (run npm run docs:config after changing the table)', () => {
    assert.equal(read('docs/configuration.md'), configurationReference(), 'docs/configuration.md is out of date: run npm run docs:config');
  });

  it('documents every option, alias and structural key under its own heading', () => {
    const headings = new Set([...read('docs/configuration.md').matchAll(/^### (\S+)$/gm)].map((m) => m[1]));
    for (const name of [...OPTION_TABLE.map((o) => o.name), ...ALIASES.map((o) => o.name), ...STRUCTURAL_DOCS.keys()]) {
      assert.ok(headings.has(name), `${name} has no section`);
    }
  });

  it('gives examples that load as they are written, each setting its own option', () => {
    for (const option of [...OPTION_TABLE, ...ALIASES]) {
      const { example, type } = option.doc;
      assert.ok(example.startsWith(`${option.name} `), `the example of ${option.name} sets another option: ${example}`);
      // Paths name files of a real installation; options.test.ts covers reading them.
      if (type.startsWith('path')) continue;
      assert.doesNotThrow(() => sandbox.load('example.conf', `${context(option)}${example}\n`), `${option.name}: ${example}`);
    }
  });

  it("is where the README sends readers for every key, its default and how midge differs from Mosquitto", () => {
    assert.match(read('README.md'), /Every key, its default and how midge differs from Mosquitto: \[`docs\/configuration\.md`\]\(docs\/configuration\.md\)/);
  });
});
