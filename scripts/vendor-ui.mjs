/**
 * Part of `npm run build`: copies the dashboard's one library, uPlot (MIT, by Leon
 * Sorokin), from node_modules into dist/admin/ui/vendor/ with its licence, so the
 * broker serves it itself: the dashboard loads nothing from elsewhere.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
const out = join(root, 'dist/admin/ui/vendor');
mkdirSync(out, { recursive: true });
for (const [from, to] of [['dist/uPlot.esm.js', 'uplot.js'], ['dist/uPlot.min.css', 'uplot.css'], ['LICENSE', 'uplot-license.txt']]) {
  copyFileSync(join(uplot, from), join(out, to));
}
