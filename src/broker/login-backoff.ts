import { ReasonCode } from '../protocol/index.js';
import type { AuthenticationResult } from './ports/auth.js';
import { isThenable } from './thenable.js';

/** Settings of a {@link LoginBackoff}. */
export interface LoginBackoffOptions {
  /** Failures a source may have before it must wait (typing a password wrong twice is not an attack). */
  freeFailures: number;
  /** The first wait, ms; it doubles with each further failure. */
  baseMs: number;
  /** The longest wait, ms. */
  maxMs: number;
  /** Checks one source may have running or waiting at once; more are refused at once. */
  maxPending: number;
  /** Sources remembered; the least recently seen are forgotten first. */
  maxSources: number;
}

/** The defaults: 10 free failures, then 1 s doubling to 60 s; 16 checks at once per source. */
export const defaultLoginBackoff: LoginBackoffOptions = {
  freeFailures: 10, baseMs: 1000, maxMs: 60_000, maxPending: 16, maxSources: 10_000,
};

interface SourceState {
  failures: number;
  /** Epoch ms before which the source's attempts are refused. */
  until: number;
  pending: number;
}

/** Why an attempt is refused without being checked. */
export interface LoginRefusal {
  reason: string;
  /** Seconds until the source may try again (at least 1). */
  retryAfter: number;
}

/**
 * Makes failed logins cost whoever fails them. Per source address: after a few failures
 * each further one doubles the time before the next attempt is even looked at, and only
 * a few checks may be pending at once; attempts beyond either are refused at once,
 * without hashing a password, so a flood of wrong passwords slows its sender and leaves
 * the password checks (and the clients that pass them) to everyone else. A success clears
 * the source. Bounded in memory: at most `maxSources` sources are remembered.
 */
export class LoginBackoff {
  /** Attempts refused so far without a check. */
  refused = 0;
  private readonly sources = new Map<string, SourceState>();
  private readonly options: LoginBackoffOptions;

  constructor(options: Partial<LoginBackoffOptions> = {}) {
    this.options = { ...defaultLoginBackoff, ...options };
  }

  /**
   * Asks to check a login from `source`: a refusal, or undefined, in which case the
   * caller checks and must then call {@link settle} once with the outcome.
   */
  begin(source: string, now = Date.now()): LoginRefusal | undefined {
    const state = this.stateOf(source);
    if (state.until > now) {
      this.refused++;
      const retryAfter = Math.max(1, Math.ceil((state.until - now) / 1000));
      return { reason: `too many failed logins from ${source}: try again in ${retryAfter} s`, retryAfter };
    }
    if (state.pending >= this.options.maxPending) {
      this.refused++;
      return { reason: `too many logins from ${source} at once`, retryAfter: 1 };
    }
    state.pending++;
    return undefined;
  }

  /**
   * Runs an authentication for `source` under the backoff: refused at once with 0x89
   * Server busy (and the reason) when the source must wait, else run and settled by its
   * outcome (a refusal of the credentials counts as a failure; being unable to decide does not).
   * An authentication that decides at once is answered at once, without a promise (most
   * CONNECTs: anonymous clients, cached passwords; issue 19).
   */
  guard(source: string, authenticate: () => Decision): Decision {
    // With no source remembered nothing can be refused, and a check that decides at once
    // needs remembering only when it fails: most CONNECTs then leave the map alone.
    const tracked = this.sources.size > 0 || this.options.maxPending < 1;
    if (tracked) {
      const refusal = this.begin(source);
      if (refusal) return { outcome: 'deny', reasonCode: ReasonCode.ServerBusy, reason: refusal.reason };
    }
    let result: Decision;
    try {
      result = authenticate();
    } catch (err) {
      if (tracked) this.settle(source, false);
      throw err;
    }
    if (!isThenable(result)) {
      const failed = isCredentialRefusal(result);
      if (!tracked && failed) this.begin(source);
      if (tracked || failed) this.settle(source, failed);
      return result;
    }
    if (!tracked) this.begin(source);
    return Promise.resolve(result).then((decided) => {
      this.settle(source, isCredentialRefusal(decided));
      return decided;
    }, (err: unknown) => {
      this.settle(source, false);
      throw err;
    });
  }

  /** The outcome of a check {@link begin} let through: `failed` for wrong credentials. */
  settle(source: string, failed: boolean, now = Date.now()): void {
    const state = this.sources.get(source);
    if (!state) return;
    state.pending = Math.max(0, state.pending - 1);
    if (!failed) {
      state.failures = 0;
      state.until = 0;
    } else {
      state.failures++;
      const over = state.failures - this.options.freeFailures;
      if (over > 0) state.until = now + Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(over - 1, 30));
    }
    if (state.failures === 0 && state.pending === 0) this.sources.delete(source);
  }

  private stateOf(source: string): SourceState {
    let state = this.sources.get(source);
    if (state) {
      // Most recently seen last, so the first entry is the one to forget.
      this.sources.delete(source);
    } else {
      state = { failures: 0, until: 0, pending: 0 };
      if (this.sources.size >= this.options.maxSources) {
        const oldest = this.sources.keys().next();
        if (!oldest.done) this.sources.delete(oldest.value);
      }
    }
    this.sources.set(source, state);
    return state;
  }
}

/** An authentication's outcome, now or later. */
export type Decision = AuthenticationResult | Promise<AuthenticationResult>;

/** A refusal of the client's credentials or identity, as opposed to the broker being unable to decide. */
function isCredentialRefusal(result: AuthenticationResult): boolean {
  return result.outcome === 'deny' && (result.reasonCode === ReasonCode.BadUserNameOrPassword
    || result.reasonCode === ReasonCode.NotAuthorized || result.reasonCode === ReasonCode.Banned);
}
