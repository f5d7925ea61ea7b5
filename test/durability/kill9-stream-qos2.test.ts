/** kill -9 in the middle of a QoS 2 stream (the scenario is in ./kill9-stream-scenario.ts). */
import { killNineSuite } from './kill9-stream-scenario.js';

killNineSuite(2);
