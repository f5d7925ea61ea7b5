import { topicMatches } from '../protocol/index.js';
import { clientIdFor, expandPattern, roleCounts, type BenchOptions } from './options.js';

/** The part a client plays. */
export type ClientRole = 'pub' | 'sub' | 'idle';

/** One load client: its global index within its role, id and topic (or filter). */
export interface ClientPlan {
  role: ClientRole;
  index: number;
  clientId: string;
  topic: string;
}

/** The clients one worker thread runs. */
export interface WorkerPlan {
  worker: number;
  publishers: ClientPlan[];
  subscribers: ClientPlan[];
  idle: ClientPlan[];
}

/**
 * Which subscriber receives which publisher's messages, worked out from the
 * topics and filters up front. A (publisher, subscriber) pair is a stream: the
 * subscriber checks that its sequence numbers arrive in order, and the
 * publisher's end-to-end window is counted against its slowest stream.
 */
export interface StreamPlan {
  count: number;
  /** Stream slots of each publisher. */
  byPublisher: number[][];
  /** For each subscriber, the slot of each publisher's stream, or -1. */
  bySubscriber: Int32Array[];
}

/** How the clients of a run are spread over worker threads. */
export interface RunPlan {
  workers: WorkerPlan[];
  streams: StreamPlan | undefined;
  /** Why streams could not be planned, if they could not. */
  streamsSkipped: string | undefined;
}

/** Beyond this many publisher × subscriber pairs the streams are not planned. */
const MAX_PAIRS = 1_000_000;

function clients(o: BenchOptions, role: ClientRole, count: number): ClientPlan[] {
  const pattern = role === 'pub' ? o.topic : o.filter;
  return Array.from({ length: count }, (_, index) => ({
    role, index, clientId: clientIdFor(o.clientIdPrefix, role, index), topic: role === 'idle' ? '' : topicOf(o, role, pattern, index),
  }));
}

/** `%i` is the client's index; in a publisher's topic `%k` is its index modulo the subscriber count (a shard). */
function topicOf(o: BenchOptions, role: ClientRole, pattern: string, index: number): string {
  const topic = expandPattern(pattern, index);
  return role === 'pub' ? topic.replaceAll('%k', String(index % Math.max(1, o.subscribers))) : topic;
}

/** Cuts a list into `parts` contiguous pieces of nearly equal size. */
export function splitEvenly<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const end = start + Math.floor(items.length / parts) + (p < items.length % parts ? 1 : 0);
    out.push(items.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * Spreads the clients over the workers. Publishers and subscribers get worker
 * threads of their own when there are at least two, so that a publisher thread
 * may block to keep a fixed schedule while subscribers keep reading.
 */
export function planRun(o: BenchOptions): RunPlan {
  const counts = roleCounts(o);
  const pubs = clients(o, 'pub', counts.publishers);
  const subs = clients(o, 'sub', counts.subscribers);
  const idle = clients(o, 'idle', counts.idle);
  let workers: WorkerPlan[];
  if (pubs.length > 0 && subs.length > 0 && o.workers >= 2) {
    const pubWorkers = Math.min(pubs.length, Math.floor(o.workers / 2));
    const subWorkers = Math.min(subs.length, o.workers - pubWorkers);
    workers = [
      ...splitEvenly(subs, subWorkers).map((s) => ({ worker: 0, publishers: [], subscribers: s, idle: [] })),
      ...splitEvenly(pubs, pubWorkers).map((p) => ({ worker: 0, publishers: p, subscribers: [], idle: [] })),
    ];
  } else {
    const all = [...subs, ...pubs, ...idle];
    workers = splitEvenly(all, Math.max(1, Math.min(o.workers, all.length))).map((part) => ({
      worker: 0,
      publishers: part.filter((c) => c.role === 'pub'),
      subscribers: part.filter((c) => c.role === 'sub'),
      idle: part.filter((c) => c.role === 'idle'),
    }));
  }
  workers.forEach((w, i) => { w.worker = i; });
  if (o.mode !== 'pubsub') return { workers, streams: undefined, streamsSkipped: undefined };
  const skipped = streamsSkippedBecause(pubs, subs);
  return { workers, streams: skipped ? undefined : planStreams(pubs, subs), streamsSkipped: skipped };
}

function streamsSkippedBecause(pubs: ClientPlan[], subs: ClientPlan[]): string | undefined {
  if (subs.some((s) => s.topic.startsWith('$share/'))) return 'shared subscriptions deliver each message to one member';
  if (pubs.length * subs.length > MAX_PAIRS) return `more than ${MAX_PAIRS} publisher × subscriber pairs`;
  return undefined;
}

function planStreams(pubs: ClientPlan[], subs: ClientPlan[]): StreamPlan {
  const byPublisher: number[][] = pubs.map(() => []);
  const bySubscriber = subs.map(() => new Int32Array(pubs.length).fill(-1));
  let count = 0;
  for (const sub of subs) {
    for (const pub of pubs) {
      if (!topicMatches(sub.topic, pub.topic)) continue;
      bySubscriber[sub.index]![pub.index] = count;
      byPublisher[pub.index]!.push(count++);
    }
  }
  return { count, byPublisher, bySubscriber };
}
