/**
 * Captured output (test/support/capture.ts) read back as the structured log lines it holds, so a
 * leak scan can first show that the lines its scenario must have logged are there: an empty or
 * silent capture passes every "contains no key" check and proves nothing.
 */
export type LogLine = { message?: string } & Record<string, unknown>;

/** The JSON log lines in `text`; anything else (a stray notice) is skipped. */
export function logLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/**
 * The /v1 requests the local stack logged in `text`, as `METHOD route status` (`POST /v1/keys 201`).
 * A refused request is logged with its path rather than its route (`POST /v1/responses 429`).
 */
export function apiRequests(text: string): string[] {
  return logLines(text)
    .filter((line) => line.message === 'request' || line.message === 'request rejected')
    .map((line) => `${String(line.method)} ${String(line.route ?? line.path)} ${String(line.status)}`);
}
