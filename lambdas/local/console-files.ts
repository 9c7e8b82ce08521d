import type { ServerResponse } from 'node:http';
import { CONSOLE_CSP, CONSOLE_FILES, CONSOLE_HEADERS, consoleBundle } from '../../console/build';

/**
 * The console's files on the local server, at /console on the same origin as /v1 (as CloudFront
 * serves them in AWS): built in memory on first request, with the page's strict CSP.
 */
export function serveConsole(path: string, res: ServerResponse): void {
  const name = path === '/console' || path === '/console/' || path === '/console/index.html' ? 'index.html' : path.slice('/console/'.length);
  if (!(name in CONSOLE_FILES)) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...CONSOLE_HEADERS });
    res.end('Not found.');
    return;
  }
  const file = name as keyof typeof CONSOLE_FILES;
  const bundle = consoleBundle();
  const body = file === 'index.html' ? bundle.html : file === 'app.js' ? bundle.js : bundle.css;
  res.writeHead(200, {
    'content-type': CONSOLE_FILES[file],
    'cache-control': file === 'index.html' ? 'no-cache' : 'no-cache, max-age=0',
    ...CONSOLE_HEADERS,
    ...(file === 'index.html' ? { 'content-security-policy': CONSOLE_CSP } : {}),
  });
  res.end(body);
}
