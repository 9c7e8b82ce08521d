import { describe, expect, it } from 'vitest';
import { loadBotLambdaEnv, readBotSecrets, slackBotConfig, teamsBotConfig } from '../../../bots/boot/bot-config';
import { freshBuild } from '../../../bots/boot/fresh-build';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';

/** Both bot Lambdas boot the same way: one checked config, one lazy cold build (bots/boot/). */
describe('bot configuration', () => {
  const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:keywarden-test/${name}-AbCdEf`;

  it('names every missing Lambda variable, per bot', () => {
    expect(() => loadBotLambdaEnv('slack', {})).toThrow(/KEYWARDEN_API_URL.*SECRET_SLACK_ARN.*SECRET_BOT_VIEWER_KEYS_ARN.*SECRET_BOT_ASSERTION_ARN/);
    expect(() => loadBotLambdaEnv('teams', { KEYWARDEN_API_URL: 'https://api.example.com' })).toThrow(/SECRET_TEAMS_ARN/);
    expect(() => loadBotLambdaEnv('teams', { KEYWARDEN_API_URL: 'https://api.example.com' })).not.toThrow(/KEYWARDEN_API_URL/);
    const env = {
      KEYWARDEN_API_URL: 'https://api.example.com',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      SECRET_SLACK_ARN: arn('slack'),
      SECRET_BOT_VIEWER_KEYS_ARN: arn('botViewerKeys'),
      SECRET_BOT_ASSERTION_ARN: arn('botAssertion'),
    };
    expect(loadBotLambdaEnv('slack', env)).toEqual({
      apiBaseUrl: 'https://api.example.com',
      slackApiUrl: 'http://127.0.0.1:9/api/',
      secretArns: { slack: arn('slack'), botViewerKeys: arn('botViewerKeys'), botAssertion: arn('botAssertion') },
    });
    expect(() => loadBotLambdaEnv('slack', { ...env, KEYWARDEN_API_URL: 'not a url' })).toThrow(/KEYWARDEN_API_URL/);
  });

  it('reads the three secrets of a bot, and names the one that lacks a field', async () => {
    const good = { slack: { signingSecret: 's', botToken: 'xoxb-1' }, botViewerKeys: { slack: 'vk-slack', teams: 'vk-teams' }, botAssertion: { current: 'a' } };
    expect(await readBotSecrets('slack', new StaticSecretsProvider(good))).toEqual({
      platform: { signingSecret: 's', botToken: 'xoxb-1' },
      viewerKey: 'vk-slack',
      assertionSecret: 'a',
    });
    await expect(readBotSecrets('slack', new StaticSecretsProvider({ ...good, slack: { signingSecret: 's' } }))).rejects.toThrow('secret slack must hold signingSecret and botToken');
    await expect(readBotSecrets('teams', new StaticSecretsProvider({ ...good, teams: { appId: 'a', appPassword: 'p' }, botViewerKeys: { slack: 'x' } }))).rejects.toThrow(
      'secret botViewerKeys must hold teams',
    );
    // In AWS the Teams bot never runs unauthenticated.
    await expect(readBotSecrets('teams', new StaticSecretsProvider({ ...good, teams: { appId: '', appPassword: '' } }))).rejects.toThrow(
      'secret teams must hold appId and appPassword',
    );
  });

  it('checks a whole config, local or not: a half-configured Teams bot is refused', () => {
    const base = { apiBaseUrl: 'http://127.0.0.1:8787', viewerKey: 'vk', assertionSecret: 'a' };
    expect(() => slackBotConfig({ ...base, signingSecret: 's', botToken: '' })).toThrow(/botToken/);
    expect(teamsBotConfig({ ...base, credentials: {} })).toEqual({ ...base, credentials: {} });
    expect(() => teamsBotConfig({ ...base, credentials: { appId: 'id' } })).toThrow(/appId and appPassword go together/);
  });
});

describe('freshBuild', () => {
  it('builds once while the secrets stay the same; a failed first build is retried on the next call, not cached', async () => {
    let attempts = 0;
    const get = freshBuild(
      async () => ({ token: 'a' }),
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('secret not readable yet');
        return { built: attempts };
      },
    );
    expect(attempts).toBe(0); // nothing at module load
    await expect(get()).rejects.toThrow('secret not readable yet');
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toEqual({ built: 2 });
    expect(b).toBe(a);
    expect(await get()).toBe(a);
    expect(attempts).toBe(2);
  });

  it('rebuilds when a secret value changes, and keeps serving the last build when a read fails', async () => {
    let secrets: { viewerKey: string } | Error = { viewerKey: 'old' };
    const get = freshBuild(
      async () => {
        if (secrets instanceof Error) throw secrets;
        return secrets;
      },
      (s) => ({ usingKey: s.viewerKey }),
    );
    const first = await get();
    expect(first).toEqual({ usingKey: 'old' });
    expect(await get()).toBe(first);
    secrets = { viewerKey: 'rotated' };
    expect(await get()).toEqual({ usingKey: 'rotated' });
    secrets = new Error('Secrets Manager unreachable');
    expect(await get()).toEqual({ usingKey: 'rotated' });
  });

  it('with nothing built yet, a failed read fails the call', async () => {
    const get = freshBuild(async () => Promise.reject(new Error('no secret')), () => 1);
    await expect(get()).rejects.toThrow('no secret');
  });
});
