import { ENVIRONMENT_PREFIX } from './env.js';
import { ACCEPTED_WITHOUT_EFFECT, UNSUPPORTED_OPTIONS } from './mosquitto-compat.js';
import type { OptionDefinition, OptionDoc, OptionScope, Section } from './option-spec.js';
import { ALIASES, optionsOf, STRUCTURAL_DOCS } from './options.js';

/**
 * docs/configuration.md, generated from the option table: every option with its scope,
 * type, default, how it differs from mosquitto and an example, then what mosquitto options
 * midge accepts without effect or refuses. `npm run docs:config` writes it;
 * test/config/reference.test.ts fails when the file and the table disagree.
 */

const GROUPS: ReadonlyArray<readonly [Section, string]> = [
  ['listener', 'Listeners'],
  ['tls', 'TLS (per listener)'],
  ['security', 'Authentication and authorization'],
  ['auth', 'Admin API and SCRAM'],
  ['limits', 'Limits'],
  ['persistence', 'Persistence'],
  ['operations', 'Operations'],
  ['mqttsn', 'MQTT-SN gateway'],
  ['root', 'Confidential topics'],
  ['cluster', 'Cluster'],
  ['bridge', 'Bridges (after a connection line; see docs/bridges.md)'],
  ['bridgeTls', 'Bridge TLS'],
];

/** Where an option applies: a short name for the index, and in full. */
const SCOPES: Readonly<Record<OptionScope, readonly [string, string]>> = {
  global: ['global', 'global'],
  listener: ['listener', 'listener'],
  'listener-or-global': ['listener or global', 'listener; before any listener line, the default of every listener'],
  security: ['global or listener', 'global; per listener with per_listener_settings true'],
  bridge: ['bridge', 'bridge: the last connection line before it'],
};

const INTRO = `# Configuration reference

<!-- Generated from the option table (src/config/options-*.ts) by \`npm run docs:config\`.
     Edit the table, not this file: test/config/reference.test.ts fails when they disagree. -->

midge reads mosquitto.conf syntax (\`midge broker -c midge.conf\`), or YAML when the file name
ends in \`.yaml\` or \`.yml\`, with the same option names. Then \`${ENVIRONMENT_PREFIX}<OPTION>\`
environment variables (e.g. \`${ENVIRONMENT_PREFIX}MAX_PACKET_SIZE=2048\`) replace global options,
lists included, and the command line comes last. Any problem stops start-up with the file and
line: \`midge.conf:12: unknown option 'lisener' (did you mean 'listener'?)\`.
\`midge broker --test-config\` prints the configuration as resolved, secrets redacted, as YAML
that loads back.

## How a file is read

- One \`key value...\` per line; lines starting with \`#\` are comments. A word starting with \`#\`
  after a single-word value or a listener address is a trailing comment; string options (paths,
  names) take the rest of the line, as in mosquitto.
- Numbers and booleans may be repeated (last wins); string options may be given once; list
  options accumulate. Booleans are \`true\` or \`false\` (mosquitto's \`1\` and \`0\` too). Integers
  are strict (\`20abc\` is an error, not 20).
- \`listener PORT [ADDRESS]\` opens a block for the listener options after it. Listener options
  before any \`listener\` line, \`port\` and \`bind_address\` configure mosquitto's default listener,
  opened after the declared ones (a warning says so when that looks accidental).
- With no \`listener\`, \`port\` or \`bind_address\`, midge listens on 127.0.0.1:1883 and lets
  anonymous clients in (Mosquitto 2's local-only mode); otherwise anonymous clients are refused
  unless \`allow_anonymous true\`.
- Where mosquitto writes \`0\` or \`-1\` for "no limit", so does midge.
- YAML: \`listeners\` is a list of objects with \`port\` (default 1883, or 1884 for
  \`protocol: mqttsn\`), \`address\` and listener options; a global option inside a listener
  object is an error. \`mqttsn_predefined_topic\` items may be \`{id: 1, topic: a/b}\` or \`1 a/b\`.
  An unknown key gets the same "did you mean" as in mosquitto.conf, in YAML's spelling
  (\`listenrs\` -> \`listeners\`, \`adress\` -> \`address\`), whatever its value.
- Environment variables and the command line set global options only (not listener options);
  with per_listener_settings a security option given that way applies to every listener.
`;

/** A value in a table cell or a list: code, with pipes escaped. */
function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The default as the reference shows it: in words when the doc gives them, else as the config writes it. */
function defaultOf(option: OptionDefinition): string {
  if (option.doc.defaultText !== undefined) return option.doc.defaultText;
  const value = option.defaultValue({ cwd: '.', localOnly: false });
  const written = value === undefined ? undefined : option.format(value);
  if (written === undefined) return 'none';
  return code(Array.isArray(written) ? written.join(' ') : String(written));
}

function describe(name: string, doc: OptionDoc, facts: readonly string[]): string {
  const details = doc.details === undefined ? [] : [doc.details, ''];
  const lines = [
    `### ${name}`, '', doc.summary, '', ...details,
    ...facts.map((fact) => `- ${fact}`), `- mosquitto: ${doc.mosquitto}`, `- example: ${code(doc.example)}`, '',
  ];
  return lines.join('\n');
}

function optionBlock(option: OptionDefinition): string {
  const facts = [`scope: ${SCOPES[option.scope][1]}`, `type: ${option.doc.type}`, `default: ${defaultOf(option)}`];
  if (option.scope !== 'listener' && option.scope !== 'bridge') facts.push(`environment: ${code(ENVIRONMENT_PREFIX + option.name.toUpperCase())}`);
  return describe(option.name, option.doc, facts);
}

function aliasBlock(option: OptionDefinition): string {
  return describe(option.name, option.doc, [`scope: ${SCOPES[option.scope][1]}`, `type: ${option.doc.type}`, `same value as: ${code(option.slot)}`]);
}

function index(): string {
  const rows = GROUPS.flatMap(([section]) => optionsOf(section)).map((option) =>
    `| [${option.name}](#${option.name}) | ${SCOPES[option.scope][0]} | ${cell(defaultOf(option))} |`);
  return ['| option | scope | default |', '| --- | --- | --- |', ...rows, ''].join('\n');
}

/** mosquitto's options midge refuses, grouped by the hint start-up gives. */
function refusedOptions(): string[] {
  const byHint = new Map<string, string[]>();
  for (const [name, hint] of UNSUPPORTED_OPTIONS) {
    const names = byHint.get(hint) ?? [];
    names.push(code(name.endsWith('_') ? `${name}*` : name));
    byHint.set(hint, names);
  }
  return [...byHint].map(([hint, names]) => `- ${names.join(', ')}${hint ? `: ${hint}` : ''}`);
}

function mosquittoOnly(): string {
  const accepted = [...ACCEPTED_WITHOUT_EFFECT].map(([name, { why }]) => `- ${code(name)}: ${why}`);
  return [
    '## mosquitto options midge accepts without effect', '',
    'They load, so an existing mosquitto.conf works, and each is named in a warning at start-up.', '',
    ...accepted, '',
    '## mosquitto options midge refuses', '',
    'Start-up stops with a message naming the option:', '',
    ...refusedOptions(), '',
  ].join('\n');
}

/** The whole of docs/configuration.md. */
export function configurationReference(): string {
  const parts = [INTRO, '## Every option', '', index()];
  parts.push('## Structure', '');
  for (const [name, doc] of STRUCTURAL_DOCS) {
    const facts = [`type: ${doc.type}`, ...(doc.defaultText === undefined ? [] : [`default: ${doc.defaultText}`])];
    parts.push(describe(name, doc, facts));
  }
  for (const [section, title] of GROUPS) {
    parts.push(`## ${title}`, '');
    for (const option of optionsOf(section)) parts.push(optionBlock(option));
    for (const alias of ALIASES) if (alias.section === section) parts.push(aliasBlock(alias));
  }
  parts.push(mosquittoOnly());
  return parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
