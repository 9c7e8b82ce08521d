import { expect, it } from 'vitest';
import { isLoopbackHostHeader, localDoorRefusal } from '../../lambdas/local/local-door';

/** The one check of local doors that act with no key or signature (lambdas/local/local-door.ts), as a table. */
it('takes a Host only when it names a loopback address, with at most a valid port', () => {
  for (const host of ['127.0.0.1:8787', '127.255.0.9', 'localhost', 'LOCALHOST:1', '[::1]:8787', '[::1]', '[::ffff:127.0.0.1]:80']) expect(isLoopbackHostHeader(host), host).toBe(true);
  for (const host of ['rebind.evil.example', 'rebind.evil.example:8787', '127.0.0.1.evil.example', 'localhost.', '0.0.0.0:8787', '[::]:1', '10.0.0.1', '127.1', '127.0.0.1:99999', '127.0.0.1:', 'user@127.0.0.1', '', undefined] as const) {
    expect(isLoopbackHostHeader(host), String(host)).toBe(false);
  }
});

it('refuses browsers, other methods and other media types, in the documented error shape', () => {
  const ok = { host: '127.0.0.1:8787', 'content-type': 'application/json; charset=utf-8' };
  expect(localDoorRefusal({ method: 'POST', headers: ok })).toBeUndefined();
  const cases: Array<[string, Record<string, string>, number, string, string | null]> = [
    ['POST', { ...ok, host: 'rebind.evil.example:8787' }, 403, 'insufficient_permissions', 'host'],
    ['POST', { ...ok, origin: 'null' }, 403, 'insufficient_permissions', 'origin'],
    ['POST', { ...ok, 'sec-fetch-site': 'none' }, 403, 'insufficient_permissions', 'sec-fetch-site'],
    ['GET', { host: ok.host }, 405, 'invalid_request_error', null],
    ['POST', { ...ok, 'content-type': 'text/plain' }, 400, 'invalid_request_error', 'content-type'],
    ['POST', { ...ok, 'content-type': 'application/jsonp' }, 400, 'invalid_request_error', 'content-type'],
    ['POST', { host: ok.host }, 400, 'invalid_request_error', 'content-type'],
  ];
  for (const [method, headers, status, code, param] of cases) {
    const refused = localDoorRefusal({ method, headers });
    expect(refused?.status, JSON.stringify(headers)).toBe(status);
    expect(refused?.body.error).toMatchObject({ code, param, message: expect.any(String) });
  }
});
