// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint-rules/layers.js';

const io = ['net', 'tls', 'fs', 'fs/promises', 'dgram', 'http', 'https', 'child_process', 'worker_threads', 'ws', 'better-sqlite3', 'ioredis'];

/** The arrows of docs/ARCHITECTURE.md: each layer and what its relative imports may reach. */
const layerRules = [
  { files: ['src/protocol/**/*.ts'], allow: ['src/protocol'], denyModules: io, why: 'src/protocol is a pure codec and imports nothing else of ours' },
  { files: ['src/sn/protocol/**/*.ts'], allow: ['src/sn/protocol', 'src/protocol'], denyModules: io, why: 'src/sn/protocol is a pure codec' },
  { files: ['src/sn/gateway/**/*.ts'], allow: ['src/sn/gateway', 'src/sn/protocol', 'src/broker', 'src/protocol'], why: 'the MQTT-SN gateway is an adapter of the broker core' },
  { files: ['src/sn/client/**/*.ts'], allow: ['src/sn/client', 'src/sn/protocol', 'src/protocol'], why: 'the MQTT-SN client depends only on the codecs' },
  { files: ['src/broker/**/*.ts'], allow: ['src/broker', 'src/protocol'], why: 'src/broker owns the ports and never imports adapters' },
  { files: ['src/persistence/**/*.ts'], allow: ['src/persistence', 'src/broker', 'src/protocol'], why: 'stores are adapters of the core: they never import another adapter' },
  { files: ['src/transport/**/*.ts'], allow: ['src/transport', 'src/broker', 'src/protocol'], why: 'transports are adapters of the core: they never import another adapter' },
  { files: ['src/auth/**/*.ts'], allow: ['src/auth', 'src/broker', 'src/protocol'], why: 'auth is an adapter of the core: it never imports another adapter' },
  { files: ['src/cluster/**/*.ts'], allow: ['src/cluster', 'src/broker', 'src/protocol'], why: 'the cluster is an adapter of the core: it never imports another adapter (its store is passed in)' },
  { files: ['src/bench/**/*.ts'], allow: ['src/bench', 'src/protocol'], why: 'the load generator is built on the codec alone, so it measures the broker and not a client library' },
  { files: ['src/client/**/*.ts'], allow: ['src/client', 'src/protocol', 'src/transport'], why: 'src/client depends only on protocol/ and transport/' },
  { files: ['src/logging/**/*.ts'], allow: ['src/logging', 'src/broker', 'src/protocol'], why: 'logging is an adapter of the core: it never imports another adapter' },
  { files: ['src/bridge/**/*.ts'], allow: ['src/bridge', 'src/broker', 'src/protocol', 'src/client'], why: 'a bridge is an adapter of the core built on the client: it never imports another adapter' },
  { files: ['src/admin/**/*.ts'], allow: ['src/admin', 'src/broker', 'src/protocol'], why: 'src/admin is an adapter: it uses the core and never imports another adapter' },
  { files: ['src/admin/ui/**/*.ts'], allow: ['src/admin/ui'], denyModules: io, why: 'src/admin/ui runs in the browser and imports only its own modules' },
  { files: ['src/config/**/*.ts'], allow: ['src/config', 'src/broker', 'src/protocol', 'src/transport', 'src/logging', 'src/bridge'], denyModules: ['net', 'tls', 'dgram', 'http', 'https', 'child_process', 'worker_threads', 'ws', 'better-sqlite3', 'ioredis'], why: 'src/config turns files into plain data: it may know the core\'s limits, the TLS files\', the log settings\' and the bridges\' shapes, and starts nothing' },
  {
    files: ['src/server/**/*.ts'],
    allow: ['src/server', 'src/broker', 'src/protocol', 'src/config', 'src/transport', 'src/persistence', 'src/auth', 'src/cluster', 'src/sn', 'src/admin', 'src/logging', 'src/bridge'],
    why: 'src/server composes the core and its adapters; the CLI, the client library and the load generator sit beside or above it',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '**/vendor/**', 'src/admin/ui/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules.map(({ files, ...options }) => ({
    files,
    plugins: { layers },
    rules: { 'layers/allowed-imports': ['error', options] },
  })),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        document: 'readonly', window: 'readonly', fetch: 'readonly', WebSocket: 'readonly',
      },
    },
  },
);
