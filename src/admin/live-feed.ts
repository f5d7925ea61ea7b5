import type { ServerResponse } from 'node:http';
import type { Broker, BrokerMessage, Disposer } from '../broker/index.js';
import { topicMatches } from '../protocol/index.js';
import { payloadView } from './http.js';
import type { LiveMessageView } from './ui/api-types.js';

/** How much one viewer of the live feed may cost. */
export interface LiveFeedLimits {
  /** Streams open at once on the admin listener; more are refused (503). */
  maxViewers: number;
  /** Messages sent to one viewer per second (a bucket that refills at that pace); the rest are counted as dropped. */
  messagesPerSecond: number;
  /** Bytes queued on one viewer's socket; past it, messages are dropped until the browser reads. */
  maxBufferedBytes: number;
  /** Retained messages sent when a stream starts (in topic order). */
  retainedOnStart: number;
  /** Bytes of each payload sent. */
  payloadBytes: number;
}

/** Defaults: 8 viewers of at most 256 KiB each bound the feed's memory to about 2 MiB. */
export const DEFAULT_LIVE_LIMITS: LiveFeedLimits = {
  maxViewers: 8, messagesPerSecond: 50, maxBufferedBytes: 256 * 1024, retainedOnStart: 100, payloadBytes: 4096,
};

/** A heartbeat comment every this many ticks (s), so proxies keep an idle stream open. */
const HEARTBEAT_TICKS = 15;

/** One open stream. */
class Viewer {
  private tokens: number;
  /** Messages not sent since the last `dropped` event, by why. */
  private dropped = { rate: 0, slow: 0 };

  constructor(readonly filter: string, private readonly res: ServerResponse, private readonly limits: LiveFeedLimits) {
    this.tokens = limits.messagesPerSecond;
  }

  /** Sends a message unless the viewer is over its rate or its socket is full. */
  offer(view: LiveMessageView): void {
    if (this.tokens < 1) {
      this.dropped.rate++;
      return;
    }
    if (this.res.writableLength > this.limits.maxBufferedBytes) {
      this.dropped.slow++;
      return;
    }
    this.tokens--;
    this.event('message', view);
  }

  /** Once a second: refill the bucket, tell the viewer what it missed, and keep the stream alive. */
  tick(n: number): void {
    this.tokens = Math.min(this.limits.messagesPerSecond, this.tokens + this.limits.messagesPerSecond);
    const missed = this.dropped.rate + this.dropped.slow;
    if (missed > 0 && this.res.writableLength <= this.limits.maxBufferedBytes) {
      this.event('dropped', { ...this.dropped, total: missed });
      this.dropped = { rate: 0, slow: 0 };
    } else if (n % HEARTBEAT_TICKS === 0) {
      this.res.write(': keep-alive\n\n');
    }
  }

  event(name: string, data: unknown): void {
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    this.res.end();
  }
}

/**
 * The dashboard's subscribe panel: messages matching a viewer's topic filter,
 * streamed as Server-Sent Events. It listens to the broker only while someone
 * watches, and each viewer is bounded (a rate, the bytes waiting on its socket;
 * what does not fit is counted and reported, never queued). A confidential payload
 * is withheld when `withhold` says so (the admin listener is not HTTPS).
 */
export class LiveFeed {
  private readonly viewers = new Set<Viewer>();
  private unhook: Disposer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(
    private readonly broker: Broker,
    private readonly withhold: (confidential: boolean) => boolean,
    readonly limits: LiveFeedLimits = DEFAULT_LIVE_LIMITS,
  ) {}

  get viewerCount(): number {
    return this.viewers.size;
  }

  /**
   * Starts a stream on `res` for a valid topic filter: the headers, the matching
   * retained messages, then live messages until the browser goes. False when as
   * many viewers as allowed are watching already.
   */
  open(filter: string, res: ServerResponse, headers: Record<string, string>): boolean {
    if (this.viewers.size >= this.limits.maxViewers) return false;
    const viewer = new Viewer(filter, res, this.limits);
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    viewer.event('ready', { filter, messagesPerSecond: this.limits.messagesPerSecond });
    this.sendRetained(viewer);
    this.viewers.add(viewer);
    res.once('close', () => this.remove(viewer));
    if (this.viewers.size === 1) this.listen();
    return true;
  }

  /** Ends every stream (the admin listener closes). */
  close(): void {
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
    this.quiet();
  }

  private sendRetained(viewer: Viewer): void {
    const matches = this.broker.retained.match(viewer.filter).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    for (const message of matches.slice(0, this.limits.retainedOnStart)) viewer.event('message', this.view(message, true));
    if (matches.length > this.limits.retainedOnStart) viewer.event('dropped', { retained: matches.length - this.limits.retainedOnStart });
  }

  private listen(): void {
    this.unhook = this.broker.hooks.on('messagePublished', ({ message }) => this.deliver(message));
    this.timer = setInterval(() => {
      this.ticks++;
      for (const viewer of this.viewers) viewer.tick(this.ticks);
    }, 1000);
    this.timer.unref();
  }

  private quiet(): void {
    this.unhook?.();
    this.unhook = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private remove(viewer: Viewer): void {
    if (this.viewers.delete(viewer) && this.viewers.size === 0) this.quiet();
  }

  /** Called for every message while someone watches: one match per viewer, one view per message. */
  private deliver(message: BrokerMessage): void {
    let view: LiveMessageView | undefined;
    for (const viewer of this.viewers) {
      if (!topicMatches(viewer.filter, message.topic)) continue;
      view ??= this.view(message, false);
      viewer.offer(view);
    }
  }

  private view(message: BrokerMessage, fromRetained: boolean): LiveMessageView {
    return {
      topic: message.topic, qos: message.qos, retain: fromRetained || message.retain, fromRetained, time: message.createdAt,
      ...payloadView(message.payload, this.limits.payloadBytes, this.withhold(message.confidential)),
    };
  }
}
