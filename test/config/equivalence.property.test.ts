import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { formatConfig } from '../../src/config/index.js';
import { ConfigSandbox } from './helpers.js';

const sandbox = new ConfigSandbox();
after(() => sandbox.cleanup());

type Scalar = string | number | boolean;

/** Valid topic filters built from a few levels, so wildcards land in legal places. */
const topicFilter = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'sensors', '+'), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([levels, multiLevel]) => [...levels, ...(multiLevel ? ['#'] : [])].join('/'));

const globalSettings = fc.record(
  {
    max_packet_size: fc.integer({ min: 20, max: 268435455 }),
    max_inflight_messages: fc.integer({ min: 1, max: 65535 }),
    max_queued_messages: fc.integer({ min: 0, max: 1_000_000 }),
    max_topic_levels: fc.integer({ min: 1, max: 65535 }),
    connect_timeout: fc.integer({ min: 1, max: 86400 }),
    max_keepalive: fc.integer({ min: 0, max: 65535 }),
    max_qos: fc.integer({ min: 0, max: 2 }),
    retain_available: fc.boolean(),
    max_topic_alias: fc.integer({ min: 0, max: 65535 }),
    max_session_expiry_interval: fc.integer({ min: 0, max: 4294967295 }),
    sys_interval: fc.integer({ min: 0, max: 65535 }),
    log_level: fc.constantFrom('trace', 'debug', 'info', 'warn', 'error'),
    persistence: fc.boolean(),
    persistence_sync: fc.constantFrom('normal', 'full'),
    mqttsn_gateway_id: fc.integer({ min: 0, max: 255 }),
    allow_anonymous: fc.boolean(),
  },
  { requiredKeys: [] },
);

const listeners = fc.uniqueArray(
  fc.record({ port: fc.integer({ min: 1024, max: 1100 }), protocol: fc.constantFrom('mqtt', 'websockets', 'mqttsn'), max_connections: fc.integer({ min: -1, max: 10000 }) }),
  { maxLength: 3, selector: (listener) => listener.port },
);

const configs = fc.record({ settings: globalSettings, confidential: fc.array(topicFilter, { maxLength: 3 }), listeners });

function toConf(input: { settings: Record<string, Scalar>; confidential: string[]; listeners: Record<string, Scalar>[] }): string {
  const lines = Object.entries(input.settings).map(([key, value]) => `${key} ${value}`);
  if (input.confidential.length > 0) lines.push(`confidential_topics ${input.confidential.join(' ')}`);
  for (const { port, ...options } of input.listeners) {
    lines.push(`listener ${port}`, ...Object.entries(options).map(([key, value]) => `${key} ${value}`));
  }
  return lines.join('\n') + '\n';
}

function toYaml(input: { settings: Record<string, Scalar>; confidential: string[]; listeners: Record<string, Scalar>[] }): string {
  const document: Record<string, unknown> = { ...input.settings };
  if (input.confidential.length > 0) document['confidential_topics'] = input.confidential;
  if (input.listeners.length > 0) document['listeners'] = input.listeners;
  return stringify(document);
}

describe('the two syntaxes', () => {
  it('resolve any valid configuration to the same result, which formatConfig prints back faithfully', () => {
    fc.assert(
      fc.property(configs, (input) => {
        const fromConf = sandbox.load('p.conf', toConf(input));
        const fromYaml = sandbox.load('p.yaml', toYaml(input));
        assert.deepEqual(fromYaml, fromConf);
        assert.deepEqual(sandbox.load('printed.yaml', formatConfig(fromConf)), fromConf);
      }),
      { numRuns: 60 },
    );
  });
});
