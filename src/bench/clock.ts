/**
 * Monotonic time in nanoseconds as a plain number. The clock is CLOCK_MONOTONIC,
 * shared by every thread and process on the host (mqbench stamps with the same
 * clock), so a timestamp written by one worker can be read by another. A double
 * holds it exactly for 104 days of uptime, which saves a BigInt per message.
 */
export function nowNs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e9 + nanoseconds;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the calling thread until `deadlineNs` (monotonic). Used only by worker
 * threads that host publishers and nothing else, where nothing else waits on the
 * event loop: a fixed-rate schedule of 10,000 msgs/s needs sub-millisecond
 * wake-ups that timers cannot give. The last stretch is spun because a futex wait
 * overshoots by the kernel's timer slack and more (about 90 µs measured on a VM).
 */
export function sleepUntil(deadlineNs: number, spinNs = 200_000): void {
  let remaining = deadlineNs - nowNs();
  if (remaining > spinNs) Atomics.wait(sleepCell, 0, 0, (remaining - spinNs) / 1e6);
  remaining = deadlineNs - nowNs();
  while (remaining > 0) remaining = deadlineNs - nowNs();
}
