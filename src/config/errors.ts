/**
 * Where a setting came from: a file and line, an environment variable, or the command line.
 * `source` is the path as the user wrote it, so messages read like the user's own words.
 */
export interface Origin {
  source: string;
  /** 1-based line; absent for environment variables and command-line overrides. */
  line?: number;
}

/** `file:12` for a line in a file, the bare source otherwise. */
export function formatOrigin(origin: Origin): string {
  return origin.line === undefined ? origin.source : `${origin.source}:${origin.line}`;
}

/**
 * A configuration the broker must refuse to start with. The message names where the
 * problem is (`midge.conf:12: unknown option 'lisener'`), so it can be printed as is.
 */
export class ConfigError extends Error {
  /** Where the offending setting was written; undefined when the problem has no single place. */
  readonly origin: Origin | undefined;
  /** The problem without its location, for callers that format locations themselves. */
  readonly problem: string;

  constructor(problem: string, origin?: Origin) {
    super(origin ? `${formatOrigin(origin)}: ${problem}` : problem);
    this.name = 'ConfigError';
    this.origin = origin;
    this.problem = problem;
  }
}
