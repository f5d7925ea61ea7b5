import { readFileSync, readdirSync } from 'node:fs';

/** What /proc says about a process at one instant. */
export interface ProcessSample {
  /** Resident set size in KiB (VmRSS). */
  rssKiB: number;
  /** User plus system CPU time in seconds, all threads. */
  cpuSeconds: number;
  /**
   * Seconds spent runnable but waiting for a CPU (schedstat), by the main thread
   * or by all threads: on a shared machine, how much a broker's event loop or the
   * generator was held back by other processes (or its own helper threads).
   */
  waitSeconds: number;
}

/** Linux reports CPU times in clock ticks of 1/100 s on every common architecture. */
const TICKS_PER_SECOND = 100;

function waitSeconds(pid: number, allThreads: boolean): number {
  let total = 0;
  for (const task of allThreads ? readdirSync(`/proc/${pid}/task`) : [String(pid)]) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

/**
 * Reads the RSS, CPU time and run-queue wait of a process, or undefined when it
 * is gone (or not Linux). The wait is the main thread's unless `allThreads`.
 */
export function sampleProcess(pid: number, allThreads = false): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssKiB: rss ? Number(rss[1]) : 0, cpuSeconds: ticks / TICKS_PER_SECOND, waitSeconds: waitSeconds(pid, allThreads) };
  } catch {
    return undefined;
  }
}
