/** What a log line may say about a request: the shape of its path, an error's name and message. */

/** Paths may carry user input (a pasted key in an id slot): never log or echo more than the shape. */
export function safePath(path: string): string {
  return path
    .split('/')
    .map((part) => (part.length > 40 || /_[0-9A-Za-z]{24,}/.test(part) ? '…' : part))
    .join('/');
}

export function describeError(err: unknown): Record<string, string> {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'unknown' };
}
