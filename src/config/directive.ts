import type { Origin } from './errors.js';

/**
 * One `key value...` setting as written, whatever the syntax it came from (a mosquitto.conf
 * line, a YAML pair, an environment variable, a command-line flag). Everything downstream
 * works on directives, which is what makes the syntaxes behave the same.
 */
export interface Directive {
  /** The option name, e.g. `max_packet_size`. */
  key: string;
  /** Everything after the key, trimmed: string options take it whole, blanks included. */
  text: string;
  /** The values one by one: `text` split on blanks, or a YAML list item kept whole. */
  words: string[];
  origin: Origin;
  /**
   * Written inside a YAML listener object, where only listener options belong (in
   * mosquitto.conf a global option after a `listener` line is still global).
   */
  insideListenerObject?: boolean;
  /** Written inside a YAML bridge object, where only bridge options belong. */
  insideBridgeObject?: boolean;
}

/** Splits a value on runs of blanks, as mosquitto does (tabs too). */
export function splitWords(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/[ \t]+/);
}

/** A directive whose words are `text` split on blanks. */
export function makeDirective(key: string, text: string, origin: Origin): Directive {
  return { key, text: text.trim(), words: splitWords(text), origin };
}
