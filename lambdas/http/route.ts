// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import type * as z from 'zod';
import type { RouteContract } from './route-contract';
import type { RequestContext } from './request-context';
import type { HttpResponse } from './types';

/**
 * A route (Powertools' `Route`): its contract (route-contract.ts — method, path, `operationId`,
 * request schemas, the response per status; each surface declares its own in
 * routes/<surface>.contract.ts) and its handler. The router validates with the contract's
 * schemas, the OpenAPI document is generated from the table of routes, the CDK stack builds its
 * API Gateway resources from it, and the local server picks the streaming handler by `streaming`.
 * Here too: how a table's paths are matched.
 */
export type Route = RouteContract & {
  handler: (ctx: RequestContext) => Promise<HttpResponse>;
};

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

/** Attaches a handler to a contract, the handler typed by the contract's own schemas. */
export function defineRoute<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, S extends z.ZodType | undefined>(
  contract: RouteContract<P, Q, B, S>,
  handler: (ctx: RequestContext<Out<P>, Out<Q>, Out<B>>) => Promise<HttpResponse>,
): Route {
  return { ...(contract as RouteContract), handler: handler as Route['handler'] };
}

/** Every error status a route can answer: the common ones of its kind, then its own. */
export function errorStatuses(route: RouteContract): number[] {
  const common = [400, 503];
  if (route.auth === 'key') common.push(401, 403, 429);
  if (route.body) common.push(413);
  return [...new Set([...common, ...(route.errors ?? [])])].sort((a, b) => a - b);
}

/** A route with its path compiled: `/v1/keys/:id` matches `/v1/keys/<anything but a slash>`, `id` named. */
export interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, regex: new RegExp(`^${pattern}/?$`), names };
}

/** Each route table's patterns, compiled once (the local server asks `findRoute` on every request). */
const compiledTables = new WeakMap<readonly Route[], CompiledRoute[]>();
export function compiledFor(routes: readonly Route[]): CompiledRoute[] {
  let compiled = compiledTables.get(routes);
  if (!compiled) compiledTables.set(routes, (compiled = routes.map(compile)));
  return compiled;
}

/** The route a method and path reach, if any (the local server picks its handler by it). */
export function findRoute(routes: readonly Route[], method: string, path: string): Route | undefined {
  return compiledFor(routes).find((c) => c.route.method === method && c.regex.test(path))?.route;
}
