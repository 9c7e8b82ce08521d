import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

describe('the local console files', () => {
  it('serves its three files, and only them', async () => {
    for (const path of ['/console/', '/console/app.js', '/console/app.css']) {
      expect((await fetch(`${stack.url}${path}`)).status, path).toBe(200);
    }
  });

  // A file name is looked up among the console's own files, never among an object's inherited
  // names: before, /console/constructor reached the file table's prototype and ended in a 500.
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'nope.js'])('/console/%s is a 404, not a 5xx', async (name) => {
    const res = await fetch(`${stack.url}/console/${name}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('Not found.');
  });
});
