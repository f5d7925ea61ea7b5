/** The tests of ./exit-codes-suite.ts against mosquitto. */
import { brokers } from './brokers.js';
import { suite } from './exit-codes-suite.js';

for (const factory of brokers.filter((f) => f.name === 'mosquitto')) suite(factory);
