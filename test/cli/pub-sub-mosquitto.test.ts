/** The tests of ./pub-sub-suite.ts against mosquitto. */
import { brokers } from './brokers.js';
import { suite } from './pub-sub-suite.js';

for (const factory of brokers.filter((f) => f.name === 'mosquitto')) suite(factory);
