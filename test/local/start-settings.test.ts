import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lambdas/config';
import { createLogger, TextLogger } from '../../lambdas/logging';
import { captureOutput } from '../support/capture';
import { botLog } from '../../bots/boot/bot-log';

/**
 * What `npm start` reads from its environment besides the stack's own settings: PORT (a mistake is
 * one line naming it, and nothing is created), LOG_FORMAT and LOG_LEVEL (readable lines, or none).
 */
const root = mkdtempSync(join(tmpdir(), 'keywarden-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const exec = promisify(execFile);

async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await exec(process.execPath, ['--import', 'tsx', 'bin/local-server.ts'], { env: { ...process.env, HOST: '127.0.0.1', ...env }, timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (err: any) {
    return { code: typeof err.code === 'number' ? err.code : -1, stderr: err.stderr };
  }
}

describe.concurrent('npm start refuses a mistaken setting before creating anything', () => {
  it.each([
    ['PORT', 'abc', /^error: PORT must be a port number from 0 to 65535, not "abc"; unset it for 8787$/],
    ['PORT', '70000', /^error: PORT must be a port number from 0 to 65535, not "70000"/],
    ['LOG_LEVEL', 'loud', /^error: invalid configuration: LOG_LEVEL: not one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT: loud$/],
    ['LOG_FORMAT', 'xml', /^error: invalid configuration: LOG_FORMAT: not json or text: xml$/],
  ])('%s=%s: one line naming it, a non-zero exit, no data dir left behind', async (name, value, line) => {
    const dataDir = join(root, `data-${name}-${value}`);
    const out = await start({ [name]: value, DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: '' });
    expect(out.code, out.stderr).toBe(1);
    expect(out.stderr.trim().split('\n'), out.stderr).toHaveLength(1);
    expect(out.stderr.trim()).toMatch(line);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('LOG_FORMAT and LOG_LEVEL', () => {
  const env = { TABLE_NAME: 'keywarden' };

  it('default to Powertools JSON at its own level: what AWS has always logged', () => {
    expect(loadConfig(env).logging).toEqual({ format: 'json', level: undefined });
    const logger = createLogger(loadConfig(env));
    expect(logger).not.toBeInstanceOf(TextLogger);
  });

  it('take a level in any case; POWERTOOLS_LOG_LEVEL wins, as in Powertools; anything else is an error naming the variable', () => {
    expect(loadConfig({ ...env, LOG_FORMAT: 'text', LOG_LEVEL: 'silent' }).logging).toEqual({ format: 'text', level: 'SILENT' });
    expect(loadConfig({ ...env, LOG_LEVEL: 'debug', POWERTOOLS_LOG_LEVEL: 'WARN' }).logging.level).toBeUndefined();
    expect(() => loadConfig({ ...env, LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, LOG_FORMAT: 'pretty' })).toThrow(/LOG_FORMAT/);
  });

  it('text: one readable line per record, the request attributes as name=value, warnings on stderr', () => {
    const logger = createLogger(loadConfig({ ...env, LOG_FORMAT: 'text', LOG_LEVEL: 'info' }));
    const capture = captureOutput();
    try {
      logger.info('request', { method: 'GET', route: '/v1/models', status: 200 });
      logger.warn('upstream failed', { error: 'Timeout Error' });
    } finally {
      capture.stop();
    }
    const lines = capture.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  request method=GET route=\/v1\/models status=200$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  upstream failed error="Timeout Error"$/);
  });

  it('SILENT: nothing at all, errors included', () => {
    for (const format of ['json', 'text']) {
      const logger = createLogger(loadConfig({ ...env, LOG_FORMAT: format, LOG_LEVEL: 'SILENT' }));
      const capture = captureOutput();
      try {
        logger.info('request', { status: 200 });
        logger.error('local server error', { error: 'boom' });
      } finally {
        capture.stop();
      }
      expect(capture.text(), format).toBe('');
    }
  });

  it("the bots' lines follow them too (text, the level), and stay JSON by default", () => {
    const saved = { LOG_FORMAT: process.env.LOG_FORMAT, LOG_LEVEL: process.env.LOG_LEVEL, POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL };
    const lines = (settings: Record<string, string | undefined>) => {
      for (const [name, value] of Object.entries(settings)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
      const log = botLog('slack');
      const capture = captureOutput();
      try {
        log.info('slack: command', { command: 'list' });
        log.warn('slack: reply failed', { error: 'channel_not_found' });
      } finally {
        capture.stop();
      }
      return capture.text().trimEnd().split('\n').filter(Boolean);
    };
    try {
      const text = lines({ LOG_FORMAT: 'text', LOG_LEVEL: 'info', POWERTOOLS_LOG_LEVEL: undefined });
      expect(text[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  slack: command component=slack-bot command=list$/);
      expect(text[1]).toMatch(/ WARN  slack: reply failed component=slack-bot error=channel_not_found$/);
      expect(lines({ LOG_FORMAT: 'text', LOG_LEVEL: 'warn', POWERTOOLS_LOG_LEVEL: undefined })).toHaveLength(1);
      const json = lines({ LOG_FORMAT: undefined, LOG_LEVEL: 'info', POWERTOOLS_LOG_LEVEL: undefined });
      expect(JSON.parse(json[0]!)).toMatchObject({ level: 'INFO', message: 'slack: command', component: 'slack-bot', command: 'list' });
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
    }
  });
});
