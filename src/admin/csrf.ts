import type { IncomingMessage } from 'node:http';

/** Methods that change nothing; every other one must come from the dashboard's own origin. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a state-changing request looks sent by another site, or undefined. A browser that
 * holds the admin's Basic credentials sends them with any site's form POST; browsers
 * also say where a request comes from (`Sec-Fetch-Site`, `Origin`), which no page can
 * forge. Only `same-origin` passes (`same-site` would let another port of the same host
 * in); requests that carry neither header (curl, scripts) are not from a browser and
 * pass.
 */
export function crossSiteRequest(req: IncomingMessage, scheme: 'http' | 'https'): string | undefined {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const host = req.headers.host;
  return host !== undefined && origin === `${scheme}://${host}` ? undefined : `Origin: ${origin}`;
}
