import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedPolicy } from '../../bin/cli/policy-changes';
import { startTestStack, type TestStack } from '../support/local-stack';
import { askArb, forbiddenAsk, policyArb } from '../http/policies/policy-arbitraries';

/**
 * Account policies from the CLI (issue 25 point 5): operators set, show and clear them
 * (`accounts policy …`, against the store), and `keys create` — CI/CD through /v1 — is refused
 * with the policy named exactly when the policy forbids what it asks. Each run is a fresh node
 * process (~1.3 s): few runs, independent ones in parallel.
 */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');

describe('accounts policy and keys create under a policy, against a local stack', { timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keywarden-policy-'));
  let stack: TestStack;
  let account: string;
  let asRoot: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack({}, {}, join(root, '.data'));
    account = stack.bootstrap.accountId;
    asRoot = { KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: stack.adminKey };
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [BIN, '--data-dir', stack.dataDir.path, ...args], {
        env: { ...process.env, KEYWARDEN_API_URL: '', KEYWARDEN_API_KEY: '', DATA_DIR: '', ...env },
      });
      return { stdout, stderr, code: 0 };
    } catch (err: any) {
      return { stdout: err.stdout, stderr: err.stderr, code: err.code };
    }
  }

  it('set changes only the limits named, show prints them, clear lifts them all', async () => {
    const set = await cli(['accounts', 'policy', 'set', account, '--max-lifetime', '30d', '--allowed-types', 'viewer', '--max-rate-limit', '100/60s', '--privileged-requires-approval', 'on']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('keys live at most 30d');
    expect(set.stdout).toContain('key types: viewer');
    expect(set.stdout).toContain('rate limit at most 100/60s');
    expect(set.stdout).toContain('privileged keys only by approved request');
    const more = await cli(['--json', 'accounts', 'policy', 'set', account, '--max-budget', '20/month', '--max-rate-limit', 'off']);
    expect(more.code, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout).policy).toMatchObject({
      maxKeyLifetimeSeconds: 30 * 86_400,
      allowedKeyTypes: ['viewer'],
      maxBudget: { credits: 20, period: 'month' },
      privilegedRequiresApproval: true,
      updatedBy: expect.stringMatching(/^cli:/),
    });
    expect(JSON.parse(more.stdout).policy.maxRateLimit).toBeUndefined();
    expect((await stack.services.store.getAccount(account))!.policy).toMatchObject({ maxBudget: { credits: 20, period: 'month' } });
    const cleared = await cli(['--json', 'accounts', 'policy', 'clear', account]);
    expect(JSON.parse(cleared.stdout)).toEqual({ accountId: account, policy: null });
    expect((await cli(['accounts', 'policy', 'show', account])).stdout).toContain('no account policy');
  });

  it('refuses a malformed policy in one line, naming the field, and leaves the policy as it was', async () => {
    const [types, lifetime, nothing] = await Promise.all([
      cli(['accounts', 'policy', 'set', account, '--allowed-types', 'viewer,system']),
      cli(['--json', 'accounts', 'policy', 'set', account, '--max-lifetime', '10m']),
      cli(['accounts', 'policy', 'set', account]),
    ]);
    for (const out of [types, lifetime, nothing]) {
      expect(out.code, out.stdout).not.toBe(0);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(types.stderr).toContain('allowedKeyTypes');
    expect(JSON.parse(lifetime.stderr).error.message).toContain('maxKeyLifetimeSeconds');
    expect((await stack.services.store.getAccount(account))!.policy).toBeUndefined();
  });

  it('keeps what it is not told to change (the word-to-field step alone)', () => {
    expect(changedPolicy({ expiryRequired: true, maxBudget: { credits: 1, period: 'day' } }, { maxBudget: 'off', allowedTypes: 'viewer, privileged' })).toEqual({
      expiryRequired: true,
      allowedKeyTypes: ['viewer', 'privileged'],
    });
  });

  it('keys create (CI/CD, through /v1) is refused with the policy named exactly when the policy forbids the ask', async () => {
    const cases = fc.sample(fc.tuple(policyArb, askArb), { numRuns: 6, seed: 25 });
    let serial = 0;
    const tally = { made: 0, refused: 0 };
    for (const [policy, ask] of cases) {
      await stack.services.operator.setAccountPolicy(account, policy, 'cli:test');
      const args = ['keys', 'create', '--name', `ci ${++serial}`, '--type', ask.type ?? 'privileged'];
      if (ask.expiresIn) args.push('--expires', ask.expiresIn);
      if (ask.rateLimit) args.push('--rate-limit', `${ask.rateLimit.limit}/${ask.rateLimit.windowSeconds}s`);
      if (ask.budget) args.push('--budget', `${ask.budget.credits}/${ask.budget.period}`);
      const out = await cli(['--json', ...args], asRoot);
      const forbidden = forbiddenAsk(policy, { ...ask, type: ask.type ?? 'privileged' }, 'create');
      if (forbidden.length === 0) {
        expect(out.code, out.stderr).toBe(0);
        tally.made++;
      } else {
        tally.refused++;
        expect(out.code, out.stdout).not.toBe(0);
        const message = JSON.parse(out.stderr).error.message as string;
        expect(forbidden.some((p) => message.includes(`Account policy ${p}`)), message).toBe(true);
      }
    }
    // Not vacuous: the sample holds both.
    expect(tally.made).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
    await stack.services.operator.setAccountPolicy(account, null, 'cli:test');
  });
});
