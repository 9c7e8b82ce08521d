import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../lambdas/adapters/local-model';
import { SEED_HOST, SEED_MODELS, SEED_RESPONSES, SEED_STREAMED } from '../http/openai-relay/seed-examples';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * The README's "Walk-through with curl", run as written: its shell blocks, command by command,
 * through bash with the real `curl`, `node` and `npx`, and its TypeScript snippet saved as the
 * README says, against a local stack on a random port.
 *
 * The README reads the stack's `bootstrap.json` from `.data/` in the folder it is run in, or from
 * the stack's DATA_DIR carried into the terminal; here that folder is a scratch folder whose `.data`
 * is the test stack's DATA_DIR — the data dir's location is the only thing that differs from a
 * reader's terminal. Its first commands also run with a custom DATA_DIR, relative and absolute,
 * from another folder. The folder is a CommonJS package under the
 * repository's node_modules (so `openai` and `tsx` resolve, offline), the case where a `hello.ts`
 * with top-level await fails.
 *
 * Each command must exit 0, and each HTTP answer must be a 2xx unless the command's trailing
 * comment names the outcome (`# 401 key_revoked`), which is then checked. A `.curlrc` in
 * CURL_HOME makes curl report each status on stderr, leaving the command and its stdout as written.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const STATUS_MARK = /<<curl-status (\d{3})>>/g;

interface Block {
  lang: string;
  text: string;
}

interface Command {
  text: string;
  /** `# 401 key_revoked` after the command: the HTTP status and error code it answers with. */
  expects?: { status: number; code?: string };
}

interface Ran {
  command: Command;
  code: number | null;
  stdout: string;
  stderr: string;
  statuses: number[];
}

/** The fenced blocks of one `## ` section, in order. */
function sectionBlocks(markdown: string, heading: string): Block[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

/**
 * Splits a shell block into commands the way bash reads them here: a command ends at a newline
 * outside quotes that no backslash continues; whole-line comments are skipped; a trailing comment
 * (`#` after a blank, outside quotes) stays with its command and may state the expected answer.
 */
function commandsOf(block: string): Command[] {
  const commands: Command[] = [];
  let text = '';
  let comment = '';
  let quote: '"' | "'" | undefined;
  for (const line of block.split('\n')) {
    if (!text && !quote && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    let lineComment = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quote === "'") {
        if (c === "'") quote = undefined;
      } else if (c === '\\') {
        i++;
      } else if (quote === '"') {
        if (c === '"') quote = undefined;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
        lineComment = line.slice(i + 1).trim();
        break;
      }
    }
    text += `${line}\n`;
    if (lineComment) comment = lineComment;
    if (quote || /\\$/.test(line.replace(/\s+#.*$/, ''))) continue;
    const expected = /^(\d{3})(?:\s+([a-z_]+))?\b/.exec(comment);
    commands.push({ text: text.trimEnd(), expects: expected ? { status: Number(expected[1]), code: expected[2] } : undefined });
    text = '';
    comment = '';
  }
  if (text.trim()) throw new Error(`unterminated command in README block:\n${text}`);
  return commands;
}

/** The file name the README tells the reader to save the TypeScript snippet under. */
function snippetName(): string {
  const name = /Save this as\s+`([\w.-]+)`/.exec(README)?.[1];
  if (!name) throw new Error('README does not say what to save the TypeScript snippet as');
  return name;
}

describe('the README walk-through', () => {
  let stack: TestStack;
  let folder: string;
  let curlHome: string;
  const ran: Ran[] = [];
  let stateFile: string;

  /** One command in bash, with the variables the earlier commands exported (to `state`, in `cwd`, with `extra` in the environment). */
  function run(command: Command, where: { cwd?: string; state?: string; extra?: Record<string, string> } = {}): Promise<Ran> {
    const script = `set -o pipefail\n. "$KW_STATE"\n${command.text}\nstatus=$?\nexport -p > "$KW_STATE"\nexit $status\n`;
    return new Promise((resolve) => {
      execFile(
        'bash',
        ['-c', script],
        {
          cwd: where.cwd ?? folder,
          timeout: 30_000,
          env: {
            ...where.extra,
            PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
            HOME: process.env.HOME ?? folder,
            TMPDIR: folder,
            CURL_HOME: curlHome,
            KW_STATE: where.state ?? stateFile,
            // npx finds tsx in the repository's node_modules; it must never reach a registry.
            npm_config_offline: 'true',
            npm_config_loglevel: 'error',
            npm_config_update_notifier: 'false',
          },
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          const statuses = [...stderr.matchAll(STATUS_MARK)].map((m) => Number(m[1]));
          resolve({ command, code, stdout, stderr: stderr.replace(STATUS_MARK, '').trim(), statuses });
        },
      );
    });
  }

  beforeAll(async () => {
    const base = join(REPO, 'node_modules', '.cache', 'keywarden-readme');
    mkdirSync(base, { recursive: true });
    folder = mkdtempSync(join(base, 'walkthrough-'));
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'readme-walkthrough', private: true, type: 'commonjs' }));
    curlHome = join(folder, 'curl-home');
    mkdirSync(curlHome);
    writeFileSync(join(curlHome, '.curlrc'), 'write-out = "%{stderr}<<curl-status %{http_code}>>\\n"\n');
    stateFile = join(folder, 'shell-state');
    writeFileSync(stateFile, '');
    stack = await startTestStack({}, {}, join(folder, '.data'));

    for (const block of sectionBlocks(README, 'Walk-through with curl')) {
      if (block.lang === 'ts') {
        writeFileSync(join(folder, snippetName()), block.text);
        continue;
      }
      expect(block.lang).toBe('sh');
      for (const command of commandsOf(block.text)) {
        const result = await run(command);
        ran.push(result);
        if (result.code !== 0) return; // the first failure is reported below; later commands would only cascade
      }
    }
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const find = (pattern: RegExp) => {
    const found = ran.filter((r) => pattern.test(r.command.text));
    expect(found.length, `no command matching ${pattern}`).toBeGreaterThan(0);
    return found;
  };

  it('reads the address from bootstrap.json, not a fixed port, and shows the seed examples with $BASE for the host', () => {
    const blocks = sectionBlocks(README, 'Walk-through with curl');
    const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.text).join('\n');
    expect(shell).toContain(`export BOOTSTRAP=$(node -p "path.resolve(process.env.DATA_DIR || '.data', 'bootstrap.json')")`);
    expect(shell).toContain(`export BASE=$(node -p "require('$BOOTSTRAP').baseUrl")/v1`);
    expect(shell).not.toMatch(/127\.0\.0\.1|localhost|:8787/);
    for (const example of [SEED_RESPONSES, SEED_STREAMED, SEED_MODELS]) {
      expect(shell).toContain(example.replaceAll(`${SEED_HOST}/v1`, '$BASE'));
    }
    expect(blocks.filter((b) => b.lang === 'ts')).toHaveLength(1);
  });

  it('finds the stack under a custom DATA_DIR, relative or absolute, carried into another terminal in another folder, as the README says', async () => {
    const intro = README.slice(README.indexOf('\n## Walk-through with curl\n'), README.indexOf('```sh', README.indexOf('\n## Walk-through with curl\n')));
    expect(intro).toMatch(/`export` the same `DATA_DIR` in this terminal/);
    const [first] = sectionBlocks(README, 'Walk-through with curl');
    const reading = commandsOf(first!.text).filter((c) => /BOOTSTRAP|bootstrap\.json/.test(c.text));
    expect(reading.map((c) => c.text.split('=')[0])).toEqual(['export BOOTSTRAP', 'export BASE', 'export ADMIN_KEY']);
    const elsewhere = join(folder, 'elsewhere');
    mkdirSync(elsewhere);
    for (const dataDir of ['../.data', join(folder, '.data')]) {
      const state = join(elsewhere, 'shell-state');
      writeFileSync(state, '');
      for (const command of reading) {
        const result = await run(command, { cwd: elsewhere, state, extra: { DATA_DIR: dataDir } });
        expect(result.code, `${command.text}\n${result.stderr}`).toBe(0);
      }
      const seen = (await run({ text: 'echo "$BASE $ADMIN_KEY"' }, { cwd: elsewhere, state })).stdout.trim();
      expect(seen, dataDir).toBe(`${stack.url}/v1 ${stack.adminKey}`);
    }
  });

  it('runs every command to success: exit 0, and each HTTP answer a 2xx or the one its comment names', () => {
    expect(ran.length).toBeGreaterThan(15);
    for (const r of ran) {
      const where = `${r.command.text}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      expect(r.code, where).toBe(0);
      if (/(^|\s)curl\s/.test(r.command.text)) {
        expect(r.statuses.length, where).toBeGreaterThan(0);
        for (const status of r.statuses) {
          if (r.command.expects) expect(status, where).toBe(r.command.expects.status);
          else expect(status >= 200 && status < 300, where).toBe(true);
        }
      }
      if (r.command.expects?.code) expect(JSON.parse(r.stdout).error.code, where).toBe(r.command.expects.code);
    }
    // The last command cleans up its scratch folder; everything before it ran.
    expect(ran.at(-1)?.command.text).toBe('rm -r $WORK');
  });

  it('never puts a key in a URL: a search by full key goes in the body of POST /keys/search, and finds the key', () => {
    const shell = README.split('\n').filter((line) => /\bcurl\b|\$BASE/.test(line)).join('\n');
    // No URL (quoted or bare) carries a variable holding a key.
    expect(shell).not.toMatch(/\$BASE[^\s"']*\$[A-Z_]*(API_)?KEY\b/);
    const [search] = find(/\$BASE\/keys\/search/);
    const created = JSON.parse(find(/\| tee \$WORK\/created\.json/)[0]!.stdout) as { id: string; key: string };
    expect(JSON.parse(search!.stdout).data.map((k: { id: string }) => k.id)).toEqual([created.id]);
    expect(search!.stdout).not.toContain(created.key);
  });

  it('creates a key and prints its setup script, whose variables point at this stack', () => {
    const created = find(/\| tee \$WORK\/created\.json/)[0]!;
    const body = JSON.parse(created.stdout) as { id: string; key: string; name: string };
    expect(body).toMatchObject({ name: 'Nightly export', type: 'privileged' });
    const setup = find(/setupScript/)[0]!.stdout;
    expect(setup).toContain(`OPENAI_BASE_URL="${stack.url}/v1"`);
    expect(setup).toContain('OPENAI_API_KEY=');
  });

  it("answers the seed's examples from the local model, streamed and not", () => {
    const [plain, streamed] = find(/\/responses/);
    expect((JSON.parse(plain!.stdout) as { output_text: string }).output_text).toContain(LOCAL_MODEL_LABEL);
    expect(streamed!.stdout).toMatch(/^event: response\.completed$/m);
    const models = find(/^curl \$BASE\/models/)[0]!;
    expect(JSON.parse(models.stdout)).toMatchObject({ object: 'list', data: [{ id: 'archibot' }] });
  });

  it('runs the TypeScript snippet, saved as the README says, with npx tsx in a CommonJS folder', () => {
    expect(snippetName()).toBe('hello.mts');
    const sdk = find(/^npx tsx hello\.mts\b/m)[0]!;
    expect(sdk.stdout).toContain(LOCAL_MODEL_LABEL);
    expect(sdk.stdout).toContain('Hello');
  });

  it('ends with the key revoked: the API says so, and the stored key is revoked', async () => {
    const rotated = JSON.parse(find(/\| tee \$WORK\/rotated\.json/)[0]!.stdout) as { id: string; key: string };
    const revoke = find(/\/revoke/)[0]!;
    expect(JSON.parse(revoke.stdout)).toMatchObject({ id: rotated.id, status: 'revoked' });
    const last = ran.filter((r) => /\/models/.test(r.command.text)).at(-1)!;
    expect(last.statuses).toEqual([401]);
    expect(JSON.parse(last.stdout).error.code).toBe('key_revoked');
    const stored = await stack.json(`/v1/keys/${rotated.id}`, { key: stack.adminKey });
    expect(stored.body.status).toBe('revoked');
    expect((await stack.json('/v1/models', { key: rotated.key })).status).toBe(401);
  });
});
