/** The tests of ./pub-sub-suite.ts against midge. */
import { brokers } from './brokers.js';
import { suite } from './pub-sub-suite.js';

for (const factory of brokers.filter((f) => f.name === 'midge')) suite(factory);
