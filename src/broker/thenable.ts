/**
 * A promise (or any thenable a plug-in returns) rather than a value there already. Paths
 * that are synchronous in the common case (a CONNECT whose authenticators decide at once)
 * ask this before they wait, so that they make no promise when nothing waits (issue 19).
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
