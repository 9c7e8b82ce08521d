import type { ServerResponse } from 'node:http';

/**
 * The console's build as the local server serves it, handed in by its caller (bin/local-server.ts
 * passes console/build.ts's), so the local stack builds nothing of the console itself.
 */
export interface ConsoleSite {
  /** File name → content type (index.html, app.js, app.css). */
  files: Readonly<Record<string, string>>;
  /** The page's Content-Security-Policy. */
  csp: string;
  /** Headers of every console file. */
  headers: Readonly<Record<string, string>>;
  /** The bundle, built on first request (once per process). */
  bundle(): { html: string; js: string; css: string };
}

/**
 * The console's files on the local server, at /console on the same origin as /v1 (as CloudFront
 * serves them in AWS): built in memory on first request, with the page's strict CSP.
 */
export function serveConsole(site: ConsoleSite, path: string, res: ServerResponse): void {
  const name = path === '/console' || path === '/console/' || path === '/console/index.html' ? 'index.html' : path.slice('/console/'.length);
  // Own names only: an inherited one (constructor, __proto__) is not a file.
  if (!Object.hasOwn(site.files, name)) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...site.headers });
    res.end('Not found.');
    return;
  }
  const bundle = site.bundle();
  const body = name === 'index.html' ? bundle.html : name === 'app.js' ? bundle.js : bundle.css;
  res.writeHead(200, {
    'content-type': site.files[name]!,
    'cache-control': name === 'index.html' ? 'no-cache' : 'no-cache, max-age=0',
    ...site.headers,
    ...(name === 'index.html' ? { 'content-security-policy': site.csp } : {}),
  });
  res.end(body);
}
