// Writes docs/configuration.md from the option table (npm run docs:config).
// test/config/reference.test.ts fails when the file and the table disagree.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../src/config/reference.js';

const target = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(target, configurationReference());
console.log(`wrote ${target.pathname}`);
