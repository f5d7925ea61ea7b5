/** The usage-error tests of ./exit-codes-suite.ts: they need no broker. */
import { usageSuite } from './exit-codes-suite.js';

usageSuite();
