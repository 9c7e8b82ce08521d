import { afterAll, beforeAll, beforeEach } from 'vitest';
import { captureOutput, type CapturedOutput } from '../support/capture';

/** A harness the hooks started, plus everything written to stdout/stderr while it ran. */
export type Used<H> = H & { readonly output: CapturedOutput };

/**
 * Registers the hooks one bot harness needs in the enclosing file or describe block: capture the
 * output, then start (so every logger the harness builds logs at INFO into the capture, where a
 * leak scan reads it), `reset` before each test, and stop both after the last. Returns a handle
 * that reads the started harness, so use it inside tests and hooks; hooks registered after this
 * call run after the start.
 */
export function useHarness<H extends object>(lifecycle: { start(): Promise<H>; stop(harness: H): Promise<void>; reset?(harness: H): void }): Used<H> {
  let harness: H | undefined;
  let output: CapturedOutput | undefined;
  beforeAll(async () => {
    output = captureOutput();
    harness = await lifecycle.start();
  });
  afterAll(async () => {
    output?.stop();
    if (harness) await lifecycle.stop(harness);
  });
  if (lifecycle.reset) beforeEach(() => lifecycle.reset!(started()));

  function started(): H {
    if (!harness) throw new Error('the harness is used before its beforeAll hook started it');
    return harness;
  }
  return new Proxy({} as Used<H>, {
    get(_, property) {
      if (property === 'output') {
        if (!output) throw new Error('the output is read before the beforeAll hook captured it');
        return output;
      }
      const value = Reflect.get(started(), property) as unknown;
      return typeof value === 'function' ? value.bind(harness) : value;
    },
  });
}
