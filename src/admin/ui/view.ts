/// <reference lib="dom" />
import { Poller } from './poller.js';
/** A page of the dashboard; started when shown, stopped when hidden (so it stops polling). */
export interface View {
  readonly element: HTMLElement;
  start(): void;
  stop(): void;
}

/** A page that reloads its data every `intervalMs` while it is shown. */
export abstract class PolledView implements View {
  abstract readonly element: HTMLElement;
  protected readonly poller: Poller;

  constructor(intervalMs: number) {
    this.poller = new Poller(() => this.load(), intervalMs);
  }

  /** Fetches and shows the page's data; shows its own errors. */
  protected abstract load(): Promise<void>;

  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }
}
