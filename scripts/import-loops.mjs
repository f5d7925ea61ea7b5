// Prints the import loops (strongly connected components) among the TypeScript files of a folder,
// type-only imports included: `node scripts/import-loops.mjs src/broker`. With --check it exits 1 when
// there is a loop (`npm run lint` checks src/broker, the core, so a new loop fails the build).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--')) ?? 'src/broker';
const valuesOnly = args.includes('--values-only');
const check = args.includes('--check');
const files = [];
(function walk(d) { for (const n of readdirSync(d)) { const f = join(d, n); if (statSync(f).isDirectory()) walk(f); else if (f.endsWith('.ts')) files.push(resolve(f)); } })(dir);
const graph = new Map(files.map((f) => [f, []]));
const re = /^(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(re)) {
    if (valuesOnly && m[2]) continue;
    if (valuesOnly && /^import\s+\{[^}]*\}/s.test(m[0]) && !/\{\s*(?!type\b)[A-Za-z_$]/.test(m[0].replace(/type\s+\w+\s*,?/g, ''))) continue;
    const target = resolve(dirname(f), m[3].replace(/\.js$/, '.ts'));
    if (graph.has(target)) graph.get(f).push(target);
  }
}
let index = 0; const idx = new Map(), low = new Map(), stack = [], on = new Set(), sccs = [];
function strong(v) { idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
  for (const w of graph.get(v)) { if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w))); }
  if (low.get(v) === idx.get(v)) { const c = []; let w; do { w = stack.pop(); on.delete(w); c.push(w); } while (w !== v); if (c.length > 1) sccs.push(c); } }
for (const f of files) if (!idx.has(f)) strong(f);
console.log(`${files.length} files in ${dir}; import loops (${valuesOnly ? 'value imports only' : 'type imports included'}): ${sccs.length}`);
for (const c of sccs.sort((a, b) => b.length - a.length)) console.log(`  ${c.length} files: ${c.map((f) => relative(resolve(dir), f)).sort().join(' ')}`);
if (check && sccs.length > 0) {
  console.error(`${dir} must have no import loop: make the importer depend on an interface the imported module does not reach back to (see docs/ARCHITECTURE.md, "The core's imports").`);
  process.exit(1);
}
