/**
 * `midge bench`: an MQTT load generator on worker threads, written on the shared
 * codec. {@link runBench} runs one benchmark and returns its {@link BenchSummary}.
 */
export { runBench } from './runner.js';
export { defaultOptions, optionProblems, type BenchMode, type BenchOptions, type ProgressStyle } from './options.js';
export { Progress, type ProgressMode } from './progress.js';
export { formatSummary, formatMicros } from './format.js';
export type { BenchSummary, MessageFigures, Verification } from './summary.js';
export { Histogram, type LatencyPercentiles } from './histogram.js';
export { runStorm, formatStorm, type StormSummary } from './storm.js';
