import type { Writable } from 'node:stream';

/**
 * Lambda's response-streaming protocol, for running outside Lambda (local server, tests): an HTTP
 * integration stream starts with a JSON prelude (status, headers), then 8 NUL bytes, then the body.
 * In AWS the runtime defines `awslambda.streamifyResponse` and this does nothing.
 */
export const PRELUDE_DELIMITER = Buffer.alloc(8);

export function installLambdaStreamingPolyfill(): void {
  // Other libraries (the Lambda invoke store) may already have created `awslambda` with other members.
  const g = globalThis as { awslambda?: Record<string, unknown> };
  if (typeof g.awslambda?.streamifyResponse === 'function') return;
  g.awslambda = {
    ...(g.awslambda ?? {}),
    streamifyResponse: <T>(handler: T): T => handler,
    HttpResponseStream: {
      from(stream: Writable, prelude: { statusCode: number; headers?: Record<string, string> }): Writable {
        stream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude)), PRELUDE_DELIMITER]));
        return stream;
      },
    },
  };
}
