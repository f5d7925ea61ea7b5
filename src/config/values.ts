import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { topicFilterProblem, topicNameProblem } from '../protocol/topic.js';
import type { Directive } from './directive.js';
import { parseRedisEndpoint } from './redis-url.js';
import { ConfigError } from './errors.js';

/** What value parsers need beyond the directive. */
export interface ParseContext {
  /** Relative paths are taken from here, as mosquitto takes them from its working directory. */
  cwd: string;
}

function fail(directive: Directive, problem: string): never {
  throw new ConfigError(problem, directive.origin);
}

/**
 * The single value of an option that takes one word. A following word that starts with `#`
 * is a trailing comment (mosquitto allows one after a listener's address); any other extra
 * word is an error rather than something silently dropped.
 */
export function singleWord(directive: Directive): string {
  const [first, second] = directive.words;
  if (first === undefined) fail(directive, `missing value for ${directive.key}`);
  if (second !== undefined && !second.startsWith('#')) {
    fail(directive, `${directive.key} takes one value, got '${directive.text}'`);
  }
  return first;
}

/** The whole rest of the line, blanks included (paths, names, tokens). */
export function parseText(directive: Directive): string {
  if (directive.text === '') fail(directive, `missing value for ${directive.key}`);
  return directive.text;
}

/** `true` or `false`; mosquitto's `1` and `0` are accepted too. */
export function parseBoolean(directive: Directive): boolean {
  const word = singleWord(directive);
  if (word === 'true' || word === '1') return true;
  if (word === 'false' || word === '0') return false;
  return fail(directive, `invalid ${directive.key} '${word}': expected true or false`);
}

/** A decimal integer from `min` to `max` inclusive (no `20abc`, unlike mosquitto's atoi). */
export function parseInteger(directive: Directive, min: number, max: number): number {
  return integerWord(directive, singleWord(directive), min, max);
}

/** Checks one word as an integer in range; used where a line holds several values. */
export function integerWord(directive: Directive, word: string, min: number, max: number): number {
  const value = /^[+-]?\d+$/.test(word) ? Number(word) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    fail(directive, `invalid ${directive.key} '${word}': expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(directive: Directive, choices: readonly T[]): T {
  const word = singleWord(directive);
  const match = choices.find((choice) => choice === word);
  if (match === undefined) fail(directive, `invalid ${directive.key} '${word}': expected ${choices.join(', ')}`);
  return match;
}

const secondsPerUnit: Readonly<Record<string, number>> = {
  s: 1,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
  m: 30 * 86400, // mosquitto's month is 30 days
  y: 365 * 86400,
};

/**
 * A duration in seconds: mosquitto's `14d` form (units h d w m y, a month being 30 days and a
 * year 365), plus `s`. Without `unitRequired` a bare number counts as seconds.
 */
export function parseDuration(directive: Directive, options: { unitRequired: boolean; max: number }): number {
  const word = singleWord(directive);
  const match = /^(\d+)([a-z]?)$/.exec(word);
  const unit = match?.[2] ?? '';
  const multiplier = unit === '' ? (options.unitRequired ? undefined : 1) : secondsPerUnit[unit];
  const seconds = match && multiplier !== undefined ? Number(match[1]) * multiplier : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds > options.max) {
    const units = options.unitRequired ? 'h, d, w, m or y' : 's, h, d, w, m or y';
    fail(directive, `invalid ${directive.key} '${word}': expected a whole number followed by ${units}, at most ${options.max} seconds`);
  }
  return seconds;
}

/** What a path must point at for the setting to make sense. */
export type PathKind = 'file' | 'directory' | 'directory-if-present';

/**
 * A path made absolute from the working directory, checked now so the error names the line
 * that wrote it rather than surfacing later as a failed open.
 */
export function parsePath(directive: Directive, context: ParseContext, kind: PathKind): string {
  const written = parseText(directive);
  const path = resolve(context.cwd, written);
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) {
    if (kind !== 'directory-if-present') fail(directive, `${directive.key} '${written}': no such ${kind === 'file' ? 'file' : 'directory'}`);
  } else if (kind === 'file' && !stats.isFile()) {
    fail(directive, `${directive.key} '${written}': not a file`);
  } else if (kind !== 'file' && !stats.isDirectory()) {
    fail(directive, `${directive.key} '${written}': not a directory`);
  }
  return path;
}

/** Topic filters, several per line; each must be a valid, non-shared filter. */
export function parseTopicFilters(directive: Directive): string[] {
  if (directive.words.length === 0) fail(directive, `missing value for ${directive.key}`);
  for (const filter of directive.words) {
    const problem = filter.startsWith('$share/') ? 'a shared subscription is not a topic' : topicFilterProblem(filter);
    if (problem) fail(directive, `invalid ${directive.key} '${filter}': ${problem}`);
  }
  return directive.words;
}

/** A topic name (no wildcards), for predefined MQTT-SN topics. */
export function checkTopicName(directive: Directive, topic: string): string {
  const problem = topicNameProblem(topic);
  if (problem) fail(directive, `invalid ${directive.key} topic '${topic}': ${problem}`);
  return topic;
}

/** A single word with no blanks, e.g. a node id. */
export function parseName(directive: Directive): string {
  const text = parseText(directive);
  if (/\s/.test(text)) fail(directive, `invalid ${directive.key} '${text}': must not contain blanks`);
  return text;
}

/** A `redis://`, `rediss://` or `redis+sentinel://` URL (see redis-url.ts). */
export function parseRedisUrl(directive: Directive): string {
  const text = parseName(directive);
  try {
    parseRedisEndpoint(text);
  } catch (err) {
    fail(directive, `invalid ${directive.key}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text;
}
