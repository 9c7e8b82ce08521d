import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upstreamKeyVariable } from '../../lambdas/config';
import { DataDir, upstreamKeyLookup, withEnvironment } from '../../lambdas/local/data-dir';
import { OperatorError } from '../../lambdas/local/operator-errors';

/**
 * A MODEL_UPSTREAMS deployment's key, locally, from `.data/secrets.json` (`upstreams.<secret>.apiKey`)
 * as well as from UPSTREAM_API_KEY_<SECRET>: the environment wins; the file is owner-only; a
 * malformed entry fails naming the field, never quoting a key.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keywarden-upstream-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeSecrets(value: unknown): void {
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify(value), { mode: 0o644 });
  chmodSync(join(dir, 'secrets.json'), 0o644);
}

describe('upstreams in secrets.json', () => {
  it('are read, kept when the missing secrets are generated, and the file is made 0600', () => {
    writeSecrets({ upstreams: { east: { apiKey: 'sk-east-from-file' } } });
    const secrets = DataDir.open(dir).secrets();
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(secrets.upstreams).toEqual({ east: { apiKey: 'sk-east-from-file' } });
    // The generated secrets were written beside them, the operator's entry untouched.
    const onDisk = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { upstreams: unknown; hashing: unknown };
    expect(onDisk.upstreams).toEqual({ east: { apiKey: 'sk-east-from-file' } });
    expect(onDisk.hashing).toBeDefined();
    // The environment's other secrets merged on top keep them.
    expect(withEnvironment(secrets, {}).upstreams).toEqual(secrets.upstreams);
  });

  it('a deployment key: the environment first, else the file, else none', () => {
    writeSecrets({ upstreams: { east: { apiKey: 'sk-east-from-file' }, west: { apiKey: 'sk-west-from-file' } } });
    const secrets = DataDir.open(dir).secrets();
    const env: Record<string, string> = { [upstreamKeyVariable('west')]: 'sk-west-from-env' };
    const keyOf = upstreamKeyLookup(secrets, (secret) => env[upstreamKeyVariable(secret)]);
    expect(keyOf('east')).toBe('sk-east-from-file');
    expect(keyOf('west')).toBe('sk-west-from-env');
    expect(keyOf('north')).toBeUndefined();
    // Only the file's own entries: nothing inherited answers for a secret's name.
    expect(keyOf('constructor')).toBeUndefined();
    expect(keyOf('toString')).toBeUndefined();
    expect(upstreamKeyLookup(DataDir.open(join(dir, 'empty')).secrets(), () => undefined)('east')).toBeUndefined();
  });

  it.each([
    ['a key that is not a string', { east: { apiKey: 42 } }, 'upstreams.east.apiKey'],
    ['an empty key', { east: { apiKey: '' } }, 'upstreams.east.apiKey'],
    ['a bare string instead of an object', { east: 'sk-bare-value-in-file' }, 'upstreams.east'],
    ['a field other than apiKey', { east: { apiKey: 'sk-east', key: 'sk-other-value-in-file' } }, 'upstreams.east'],
    ['not an object', ['sk-listed-value-in-file'], 'upstreams'],
  ])('%s fails the start naming the field, never the value', (_case, upstreams, field) => {
    writeSecrets({ upstreams });
    let thrown: unknown;
    try {
      DataDir.open(dir).secrets();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OperatorError);
    const message = (thrown as Error).message;
    expect(message).toContain(field);
    expect(message).toContain('secrets.json');
    expect(message).not.toMatch(/value-in-file|sk-east/);
  });
});
