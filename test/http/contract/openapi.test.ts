import SwaggerParser from '@apidevtools/swagger-parser';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE } from '../../../lambdas/http/api';
import { openApiPath } from '../../../lambdas/http/openapi';
import { errorStatuses } from '../../../lambdas/http/route';
import { API_ROUTES, STREAMING_ROUTES } from '../../../lib/keywarden-service';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * The document at /v1/openapi.json is the served truth: it validates under both tools, and the
 * routes it documents are exactly the routes the router serves and API Gateway routes.
 */
let stack: TestStack;
let doc: OpenAPIV3_1.Document;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  doc = (await stack.json('/v1/openapi.json')).body;
  dir = mkdtempSync(join(tmpdir(), 'keywarden-openapi-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const METHODS = ['get', 'post', 'delete', 'put', 'patch'] as const;
function documented(d: OpenAPIV3_1.Document): string[] {
  return Object.entries(d.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

describe('the OpenAPI document', () => {
  it('is valid under @apidevtools/swagger-parser', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('lints clean under @redocly/cli (0 errors, 0 warnings)', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const bin = join(process.cwd(), 'node_modules', '.bin', 'redocly');
    const run = await promisify(execFile)(bin, ['lint', file, '--format', 'json'], { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { severity: string; message: string; location?: unknown }[] };
    expect(report.problems.map((p) => `${p.severity}: ${p.message} ${JSON.stringify(p.location)}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('documents exactly the routes the router serves, and API Gateway routes exactly those', () => {
    const served = API_ROUTE_TABLE.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
    expect(documented(doc).sort()).toEqual(served);
    const gateway = [
      ...API_ROUTES.flatMap(([path, methods]) => methods.map((m) => `${m} ${path.replace(/^\/v1/, '')}`)),
      ...STREAMING_ROUTES.map(([path, method]) => `${method} ${path.replace(/^\/v1/, '')}`),
    ].sort();
    expect(gateway).toEqual(served);
  });

  it('documents the console session (cookie and the page’s binding header) on key routes, and bearer keys alone on model calls', () => {
    const schemes = doc.components!.securitySchemes as Record<string, { in?: string; name?: string }>;
    expect(schemes.consoleSession).toMatchObject({ in: 'cookie', name: 'keywarden_console' });
    expect(schemes.consoleBinding).toMatchObject({ in: 'header', name: 'X-Keywarden-Console' });
    const op = (path: string, method: string) => (doc.paths![path] as Record<string, OpenAPIV3_1.OperationObject>)[method]!;
    expect(op('/keys/search', 'post').security).toEqual([{ bearer: [] }, { consoleSession: [], consoleBinding: [] }]);
    expect(op('/responses', 'post').security).toEqual([{ bearer: [] }]);
  });

  it('documents If-Match on the changes to a key and the ETag its answers carry', () => {
    const op = (path: string, method: string) => (doc.paths![path] as Record<string, OpenAPIV3_1.OperationObject>)[method]!;
    for (const [path, method] of [['/keys/{id}', 'patch'], ['/keys/{id}/disable', 'post'], ['/keys/{id}/enable', 'post']] as const) {
      const params = (op(path, method).parameters ?? []) as OpenAPIV3_1.ParameterObject[];
      expect(params.find((p) => p.in === 'header'), `${method} ${path}`).toMatchObject({ name: 'If-Match', required: false });
    }
    for (const [path, method] of [['/keys/{id}', 'get'], ['/keys/{id}', 'patch'], ['/keys/{id}/disable', 'post'], ['/keys/{id}/enable', 'post']] as const) {
      const ok = op(path, method).responses!['200'] as OpenAPIV3_1.ResponseObject;
      expect(Object.keys(ok.headers ?? {}), `${method} ${path}`).toContain('ETag');
    }
    expect(((op('/keys', 'post').parameters ?? []) as OpenAPIV3_1.ParameterObject[]).some((p) => p.in === 'header')).toBe(false);
  });

  it('documents every status each route can answer, with the error shape for errors, and a unique operationId', () => {
    const ids = new Set<string>();
    for (const route of API_ROUTE_TABLE) {
      const op = (doc.paths![openApiPath(route.path)] as Record<string, OpenAPIV3_1.OperationObject>)[route.method.toLowerCase()]!;
      expect(ids.has(op.operationId!)).toBe(false);
      ids.add(op.operationId!);
      const statuses = Object.keys(op.responses!).filter((s) => s !== '4XX').map(Number).sort((a, b) => a - b);
      expect(statuses, route.path).toEqual([route.success.status, ...errorStatuses(route)].sort((a, b) => a - b));
      for (const status of errorStatuses(route)) {
        expect((op.responses![String(status)] as OpenAPIV3_1.ResponseObject).content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });
});
