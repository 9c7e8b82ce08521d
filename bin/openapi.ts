import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_HEADER_BRAND } from '../lambdas/config';
import { CONTRACT } from '../lambdas/http/contract';
import { openApiDocument } from '../lambdas/http/openapi';
import { SHIPPED_SERVER_URL } from '../lambdas/http/openapi-shipped';

/**
 * /v1's OpenAPI document, generated from the route contracts: `tsx bin/openapi.ts [file]
 * [--server <url>] [--brand <brand>]`, to the file or to stdout. The CDK app runs it when it
 * bundles the API function (lib/keywarden-function.ts), writing the copy that function serves
 * (lambdas/http/openapi-shipped.ts: the placeholder server and the default brand, replaced by the
 * deployment's when served); an operator can run it to generate a client without a running stack.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { server: { type: 'string', default: SHIPPED_SERVER_URL }, brand: { type: 'string', default: DEFAULT_HEADER_BRAND } },
});
const text = `${JSON.stringify(openApiDocument(Object.values(CONTRACT), { serverUrl: values.server, brand: values.brand }))}\n`;
if (positionals[0]) writeFileSync(positionals[0], text);
else process.stdout.write(text);
