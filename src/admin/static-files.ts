import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendBody } from './http.js';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './ui-page.js';

/**
 * The dashboard may run nothing but its own scripts and styles, talk to nothing
 * but this listener, and never be framed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', txt: 'text/plain; charset=utf-8',
};

/**
 * Where the dashboard's compiled scripts are: beside this module when running from
 * dist/, or in dist/ when running from the sources (tests under tsx).
 */
function findUiDir(): string | undefined {
  const candidates = [new URL('./ui/', import.meta.url), new URL('../../dist/admin/ui/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, 'app.js'))) return dir;
  }
  return undefined;
}

/**
 * The dashboard's files: the page and its stylesheet (kept in the code, since the
 * TypeScript build copies nothing else), the scripts tsc compiled from
 * `src/admin/ui/`, and the chart library the build copies into `vendor/`
 * (`scripts/vendor-ui.mjs`). Files are read once and kept: about 200 KB in all.
 */
export class StaticFiles {
  private readonly dir: string | undefined;
  /** Only files that exist are kept, so the cache is bounded by the directory. */
  private readonly cache = new Map<string, Buffer>();

  constructor(uiDir?: string) {
    this.dir = uiDir ?? findUiDir();
  }

  /** Answers the request when the path is one of the dashboard's files; false otherwise. */
  async serve(pathname: string, res: ServerResponse): Promise<boolean> {
    if (pathname === '/' || pathname === '/index.html') {
      sendBody(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, { 'content-security-policy': CONTENT_SECURITY_POLICY });
      return true;
    }
    if (pathname === '/ui/style.css') {
      sendBody(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS);
      return true;
    }
    // Only plain names, in the directory or its vendor/: nothing can climb out.
    const match = /^\/ui\/((?:vendor\/)?[a-z0-9-]+\.(js|css|txt))$/.exec(pathname);
    if (!match) return false;
    const body = await this.read(match[1]!);
    if (body) sendBody(res, 200, CONTENT_TYPES[match[2]!]!, body);
    else sendBody(res, 404, 'text/plain; charset=utf-8', 'not found (is the dashboard built? npm run build)');
    return true;
  }

  private async read(name: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const body = this.dir ? await readFile(join(this.dir, name)).catch(() => undefined) : undefined;
    if (body) this.cache.set(name, body);
    return body;
  }
}
