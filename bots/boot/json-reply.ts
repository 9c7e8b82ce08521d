import type { ServerResponse } from 'node:http';

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
