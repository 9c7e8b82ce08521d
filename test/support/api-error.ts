import { expect } from 'vitest';

/** The documented error: this status and code, in exactly the OpenAI shape `{ error: { message, type, code, param } }`. */
export function expectApiError(res: { status: number; body: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof res.body.error.message).toBe('string');
  expect(typeof res.body.error.type).toBe('string');
}
