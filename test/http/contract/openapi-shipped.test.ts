import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HEADER_BRAND } from '../../../lambdas/config';
import { CONTRACT } from '../../../lambdas/http/contract';
import { openApiDocument } from '../../../lambdas/http/openapi';
import { placeOpenApiDocument, SHIPPED_SERVER_URL, shippedOpenApi } from '../../../lambdas/http/openapi-shipped';

/**
 * The API function in AWS serves the document generated when it was bundled (bin/openapi.ts, for a
 * placeholder server and the default brand), placed for its deployment when read. Placed, it is
 * the document the generator makes for that deployment, whatever its server and brand.
 */
const routes = Object.values(CONTRACT);
const shipped = openApiDocument(routes, { serverUrl: SHIPPED_SERVER_URL, brand: DEFAULT_HEADER_BRAND });
const dir = mkdtempSync(join(tmpdir(), 'keywarden-openapi-shipped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the OpenAPI document shipped with the API function', () => {
  it('placed for any server and brand is the document generated for them', () => {
    const brand = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/);
    const serverUrl = fc.webUrl({ withQueryParameters: false, withFragments: false }).map((u) => `${u.replace(/\/+$/, '')}/v1`);
    fc.assert(
      fc.property(serverUrl, fc.oneof(brand, fc.constant(DEFAULT_HEADER_BRAND)), (url, b) => {
        expect(placeOpenApiDocument(shipped, { serverUrl: url, brand: b }, DEFAULT_HEADER_BRAND)).toEqual(openApiDocument(routes, { serverUrl: url, brand: b }));
      }),
      { numRuns: 12 },
    );
  });

  it('bin/openapi.ts writes the document the function ships, and the function serves it placed', async () => {
    const file = join(dir, 'openapi.json');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/openapi.ts', file], { cwd: join(import.meta.dirname, '../../..') });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(shipped);
    const serve = shippedOpenApi(pathToFileURL(file), DEFAULT_HEADER_BRAND);
    const place = { serverUrl: 'https://api.example.com/v1', brand: 'Acme' };
    expect(await serve(place)).toEqual(openApiDocument(routes, place));
    expect(JSON.stringify(await serve(place))).toContain('"X-Acme-Credits-Charged"');
  }, 30_000);

  it('a missing file is refused with a clear error, and read once it is there', async () => {
    const file = join(dir, 'later.json');
    const serve = shippedOpenApi(pathToFileURL(file), DEFAULT_HEADER_BRAND);
    const place = { serverUrl: 'https://api.example.com/v1', brand: DEFAULT_HEADER_BRAND };
    await expect(serve(place)).rejects.toThrow(/OpenAPI document shipped with this function could not be read \(openapi\.json beside the bundle\)/);
    writeFileSync(file, JSON.stringify(shipped));
    expect(await serve(place)).toEqual(openApiDocument(routes, place));
  });
});
