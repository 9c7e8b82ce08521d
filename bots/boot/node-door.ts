import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the bots' doors on the local server share: reading a bounded body, writing a JSON reply. */

/** What a bot's HTTP door answers: a status, and a JSON body when there is one. */
export interface JsonReply {
  status: number;
  body?: unknown;
}

/** Writes a door's reply to a node response (the local server's bot mounts). */
export function writeJsonReply(res: ServerResponse, reply: JsonReply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
    return;
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.body));
}

/**
 * The raw body (signatures are over the exact bytes), or undefined once it passes `limit`: the
 * rest is read and dropped, never stored.
 */
export function readBodyWithin(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) parts.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => resolve(size > limit ? undefined : Buffer.concat(parts)));
  });
}
