/// <reference lib="dom" />
/** A page of the dashboard; started when shown, stopped when hidden (so it stops polling). */
export interface View {
  readonly element: HTMLElement;
  start(): void;
  stop(): void;
}
