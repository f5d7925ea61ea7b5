/**
 * Writes docs/conformance.md from the rows in v5.txt and v311.txt (one statement a
 * line: id|binds|status|paraphrase|evidence; `## ` lines start a section) and
 * header.md. Status: T tested, H honoured not yet tested, N not honoured, C
 * client-only, A not applicable. Evidence cites tests as {alias~start of the test
 * name}; `// ` starts a note. Exits 1 when a cited test name is not in its file.
 *
 *   node scripts/conformance/generate.mjs
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and this folder, wherever the checkout is. */
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const files = {
  c01: 'test/conformance/01-connect.test.ts', c02: 'test/conformance/02-subscribe.test.ts',
  c03: 'test/conformance/03-publish.test.ts', c04: 'test/conformance/04-retain.test.ts',
  c05: 'test/conformance/05-session.test.ts', c06: 'test/conformance/06-will.test.ts',
  c09: 'test/conformance/09-limits.test.ts', c10: 'test/conformance/10-malformed.test.ts',
  c11: 'test/conformance/11-slow-consumer.test.ts', c12: 'test/conformance/12-capabilities.test.ts',
  c13: 'test/conformance/13-websocket.test.ts',
  'm:auth': 'test/mqtt5/enhanced-auth.test.ts', 'm:exp': 'test/mqtt5/expiry.test.ts',
  'm:flow': 'test/mqtt5/flow-control.test.ts', 'm:props': 'test/mqtt5/properties.test.ts',
  'm:shared': 'test/mqtt5/shared-subscriptions.test.ts', 'm:subopt': 'test/mqtt5/subscription-options.test.ts',
  'm:alias': 'test/mqtt5/topic-alias.test.ts', 'm:willd': 'test/mqtt5/will-delay.test.ts',
  val: 'test/protocol/validation.test.ts', topic: 'test/protocol/topic.test.ts', fx: 'test/protocol/fixtures.test.ts',
  'i:js': 'test/interop/mqttjs.test.ts', 'i:mosq': 'test/interop/mosquitto-clients.test.ts', 'i:paho': 'test/interop/paho.test.ts',
  sec: 'test/security/auth-acl.test.ts', 'd:ack': 'test/durability/ack-after-commit.test.ts', tr: 'test/transport/tls-and-websocket.test.ts',
  'cl:qos': 'test/client/session-qos.test.ts', 'cl:lim': 'test/client/session-limits.test.ts',
  'cl:rec': 'test/client/session-reconnect.test.ts', 'cl:alias': 'test/client/topic-aliases.test.ts',
  'cl:glue': 'test/client/client-glue.test.ts', 'cl:mosq': 'test/client/client-mosquitto.test.ts',
};
const text = {};
function source(alias) {
  if (text[alias] !== undefined) return text[alias];
  let s = readFileSync(join(ROOT, files[alias]), 'utf8');
  if (alias === 'fx') {
    const dir = join(ROOT, 'test/protocol/fixtures');
    for (const f of readdirSync(dir)) s += readFileSync(join(dir, f), 'utf8');
  }
  text[alias] = s.replace(/\\'/g, "'").replace(/\\u00e9/g, 'é');
  return text[alias];
}
const errors = [];
const used = new Map();
function ref(alias, fragment, id) {
  if (!files[alias]) { errors.push(`${id}: unknown alias ${alias}`); return fragment; }
  if (!source(alias).includes(fragment)) errors.push(`${id}: not found in ${files[alias]}: ${fragment}`);
  const file = files[alias].replace(/^test\//, '').replace(/\.test\.ts$/, '');
  used.set(files[alias], (used.get(files[alias]) ?? 0) + 1);
  const kind = (alias === 'c10' || alias === 'val') ? ' row' : '';
  return `\`${file}\`${kind} “${fragment.replace(/\|/g, '\\|')}”`;
}
function render(field, id) {
  const [main, note] = field.split(' // ');
  const swap = (s) => s.replace(/\{([^~}]+)~([^}]+)\}/g, (_m, a, f) => ref(a, f, id));
  let out = swap(main).replace(/” (; )?`/g, '”; `');
  if (note) out += ` — ${swap(note)}`;
  return out.replace(/\|/g, '\\|');
}
const statusName = { T: 'tested', H: 'honoured, not yet tested', N: '**not honoured**', C: 'client-only', A: 'not applicable' };

function load(file, version) {
  const rows = [];
  let section = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('## ')) { section = line.slice(3); continue; }
    const [id, binds, status, para, evidence] = line.split('|');
    rows.push({ version, section, id: `MQTT-${id}`, binds, status, para, evidence: evidence ?? '' });
  }
  return rows;
}
const v5 = load(join(HERE, 'v5.txt'), '5.0');
const v3 = load(join(HERE, 'v311.txt'), '3.1.1');

function counts(rows) {
  const c = { T: 0, H: 0, N: 0, C: 0, A: 0 };
  for (const r of rows) c[r.status]++;
  const server = rows.filter((r) => r.binds !== 'Client');
  const sc = { T: 0, H: 0, N: 0, C: 0, A: 0 };
  for (const r of server) sc[r.status]++;
  return { c, total: rows.length, sc, serverTotal: server.length };
}

function table(rows) {
  let out = '';
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out += `\n### ${r.version} — ${section}\n\n| Statement | Says | Binds | Status | Evidence |\n|---|---|---|---|---|\n`;
    }
    const evidence = r.evidence === '—' ? '' : render(r.evidence, `${r.version} ${r.id}`);
    out += `| [${r.id}] | ${r.para.replace(/\|/g, '\\|')} | ${r.binds} | ${statusName[r.status]} | ${evidence} |\n`;
  }
  return out;
}

const k5 = counts(v5);
const k3 = counts(v3);
const line = (label, k) => `| ${label} | ${k.total} | ${k.c.T} | ${k.c.H} | ${k.c.N} | ${k.c.C} | ${k.c.A} |`;
const sline = (label, k) => `| ${label}, binding the server | ${k.serverTotal} | ${k.sc.T} | ${k.sc.H} | ${k.sc.N} | ${k.sc.C} | ${k.sc.A} |`;
const notHonoured = [...v5, ...v3].filter((r) => r.status === 'N');
const untested = [...v5, ...v3].filter((r) => r.status === 'H');

const header = readFileSync(join(HERE, 'header.md'), 'utf8')
  .replace('{{SUMMARY}}', [
    '| | Statements | tested | honoured, not yet tested | not honoured | client-only | not applicable |',
    '|---|---|---|---|---|---|---|',
    line('MQTT 5.0', k5), sline('MQTT 5.0', k5), line('MQTT 3.1.1', k3), sline('MQTT 3.1.1', k3),
  ].join('\n'))
  .replace('{{NOT_HONOURED}}', notHonoured.map((r) => `- **[${r.id}]** (${r.version}) ${r.para}. ${render(r.evidence, r.id)}`).join('\n') || 'None: every statement that binds the server is honoured (one only in part, below).')
  .replace('{{UNTESTED}}', untested.map((r) => `[${r.id}] (${r.version})`).join(', '));

const doc = `${header}\n## MQTT 5.0\n${table(v5)}\n## MQTT 3.1.1\n${table(v3)}`;
writeFileSync(join(ROOT, 'docs/conformance.md'), doc);
if (errors.length) { console.error(errors.join('\n')); process.exitCode = 1; }
console.log(`docs/conformance.md: 5.0 ${k5.total} statements (${k5.c.T} tested), 3.1.1 ${k3.total} (${k3.c.T} tested)`);
