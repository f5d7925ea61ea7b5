/** What to tell an operator for the usual reasons a listener cannot bind. */
const ADVICE: Readonly<Record<string, (where: string, host: string) => string>> = {
  EADDRINUSE: (where) => `${where} is already in use by another program (another midge or mosquitto?): stop it, or give this listener another port`,
  EACCES: (where) => `permission denied for ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE; use a port above 1023 or grant the capability`,
  EADDRNOTAVAIL: (_where, host) => `${host} is not an address of this machine: check the listener's address`,
  ENOTFOUND: (_where, host) => `cannot resolve ${host}: check the listener's address`,
  EAI_AGAIN: (_where, host) => `cannot resolve ${host} now (DNS not answering): check the listener's address`,
};

/**
 * The error to stop with when a listener cannot bind: one sentence naming the
 * listener, the address and port, why, and what to do (`EADDRINUSE` becomes "already
 * in use by another program ..."). The system's code stays on the error.
 */
export function listenFailure(listener: string, host: string | undefined, port: number, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  // Not a system error (a certificate that does not load, say): the message says it all.
  if (code === undefined) return new Error(`listener ${listener}: ${err instanceof Error ? err.message : String(err)}`);
  const shownHost = host === undefined || host === '*' ? '*' : host;
  const where = `${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  const advice = code ? ADVICE[code] : undefined;
  const why = advice ? advice(`port ${port}`, shownHost) : (err instanceof Error ? err.message : String(err));
  return Object.assign(new Error(`listener ${listener} cannot listen on ${where}: ${why}`), { code });
}
