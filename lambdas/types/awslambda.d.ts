import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';

declare global {
  /** The Lambda Node.js runtime's response-streaming API (global in AWS; polyfilled locally). */
  namespace awslambda {
    type StreamingHandler<E = unknown> = (event: E, responseStream: Writable, context: Context) => Promise<void>;
    function streamifyResponse<E = unknown>(handler: StreamingHandler<E>): StreamingHandler<E>;
    namespace HttpResponseStream {
      function from(stream: Writable, prelude: { statusCode: number; headers?: Record<string, string>; cookies?: string[] }): Writable;
    }
  }
}
export {};
