/**
 * A log-linear histogram of durations in nanoseconds: 64 buckets per power of
 * two, so a percentile is within 1.6 % of the true value, whatever its magnitude.
 * Recording costs a few arithmetic operations and no allocation; histograms of
 * different worker threads merge by adding their counts.
 */
const SUB_BITS = 6;
const SUB_COUNT = 1 << SUB_BITS;
/** Durations above 2^44 ns (about 4.9 hours) all land in the last bucket. */
const MAX_EXPONENT = 44;
const BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB_COUNT;

function bucketOf(valueNs: number): number {
  const v = valueNs < 0 ? 0 : Math.floor(valueNs);
  if (v < SUB_COUNT) return v;
  if (v < 0x1_0000_0000) {
    // The common case, in integer arithmetic: v >>> shift keeps the top SUB_BITS + 1 bits.
    const exponent = 31 - Math.clz32(v);
    return ((exponent - SUB_BITS + 1) << SUB_BITS) + (v >>> (exponent - SUB_BITS)) - SUB_COUNT;
  }
  let exponent = Math.floor(Math.log2(v));
  if (exponent > MAX_EXPONENT) return BUCKETS - 1;
  let sub = Math.floor(v / 2 ** (exponent - SUB_BITS));
  // Math.log2 may round up just below a power of two.
  if (sub < SUB_COUNT) sub = Math.floor(v / 2 ** (--exponent - SUB_BITS));
  return (exponent - SUB_BITS + 1) * SUB_COUNT + sub - SUB_COUNT;
}

function bucketMidpoint(index: number): number {
  if (index < SUB_COUNT) return index;
  const exponent = Math.floor(index / SUB_COUNT) + SUB_BITS - 1;
  const sub = (index % SUB_COUNT) + SUB_COUNT;
  const width = 2 ** (exponent - SUB_BITS);
  return sub * width + width / 2;
}

/** Percentiles of a histogram, in microseconds. */
export interface LatencyPercentiles {
  samples: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** See the file comment. */
export class Histogram {
  readonly counts: Float64Array;
  private total = 0;
  private maximum = 0;

  constructor(counts?: Float64Array, maximumNs = 0) {
    this.counts = counts ?? new Float64Array(BUCKETS);
    for (const c of this.counts) this.total += c;
    this.maximum = maximumNs;
  }

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** The largest recorded value, exact. */
  get maxNs(): number {
    return this.maximum;
  }

  record(valueNs: number): void {
    this.counts[bucketOf(valueNs)]!++;
    this.total++;
    if (valueNs > this.maximum) this.maximum = valueNs;
  }

  /** Adds another histogram's counts (from another worker) to this one. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    if (other.maximum > this.maximum) this.maximum = other.maximum;
  }

  /** The value below which a fraction `q` (0 to 1) of the samples fall; 0 when empty. */
  quantileNs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketMidpoint(i), this.maximum);
    }
    return this.maximum;
  }

  /** The usual percentiles in microseconds, or undefined when nothing was recorded. */
  percentiles(): LatencyPercentiles | undefined {
    if (this.total === 0) return undefined;
    const us = (ns: number): number => Math.round(ns / 100) / 10;
    return {
      samples: this.total,
      p50Us: us(this.quantileNs(0.5)),
      p90Us: us(this.quantileNs(0.9)),
      p99Us: us(this.quantileNs(0.99)),
      p999Us: us(this.quantileNs(0.999)),
      maxUs: us(this.maximum),
    };
  }
}
