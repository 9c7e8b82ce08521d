// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import type * as z from 'zod';

/** Error statuses a route can answer beyond the ones every route of its kind can (route.ts `errorStatuses`). */
export type RouteErrorStatus = 401 | 403 | 404 | 409 | 502 | 504;

/**
 * What a route declares: its method, path, `operationId`, request schemas and responses, as data
 * with no server code, so that both sides read the same declaration. Each surface declares its
 * own (lambdas/http/routes/<surface>.contract.ts) beside its handlers (routes/<surface>.ts,
 * `defineRoute`); their union is the /v1 contract (contract.ts).
 */
export interface RouteContract<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  S extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v1/keys/:id/rotate` style. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `key`: a bearer key is authenticated (and counted) before the query and body are read. */
  auth: 'key' | 'public';
  /**
   * Served by the gateway function in REST API `STREAM` mode: it answers first and does its
   * after-answer work (settlement, the usage record) once the body is out. The OpenAI-compatible
   * routes live there; the buffered API function writes a call's usage record before it returns.
   */
  streaming?: boolean;
  /**
   * A model call: every answer carries the billing evidence headers, rejections included, and the
   * handler admits the key itself, alongside the credit reservation (lambdas/core/model-call.ts).
   */
  billed?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the handler reads and checks itself (If-Match): declared here for the OpenAPI document. */
  requestHeaders?: z.ZodObject;
  success: {
    status: 200 | 201;
    description: string;
    /** The JSON body; absent for bodies that are not ours (an upstream's answer). */
    schema?: S;
    /** Also answers `text/event-stream` (stream: true). */
    eventStream?: boolean;
    /** Answers an `ETag`: the resource's version, for a later If-Match. */
    etag?: boolean;
  };
  errors?: readonly RouteErrorStatus[];
  /** The upstream's own 4xx error is relayed as is (its status, its OpenAI-shaped body). */
  relaysUpstreamErrors?: boolean;
}

/** Declares a route (unkey's `createRoute`): identity, for inference — keeps each contract's own schema types. */
export function contract<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  S extends z.ZodType | undefined = undefined,
>(c: RouteContract<P, Q, B, S>): RouteContract<P, Q, B, S> {
  return c;
}
