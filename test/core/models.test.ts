import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambdas/config';
import { ModelCatalog, parseModels } from '../../lambdas/core/models';

describe('the model catalog (MODELS)', () => {
  it('maps public ids to upstream models; an id alone maps to itself; the first is the default', () => {
    const catalog = new ModelCatalog(parseModels(' archibot=gpt-4.1-mini , archibot-mini = gpt-4.1-nano,local '));
    expect(catalog.models).toEqual([
      { id: 'archibot', upstream: 'gpt-4.1-mini' },
      { id: 'archibot-mini', upstream: 'gpt-4.1-nano' },
      { id: 'local', upstream: 'local' },
    ]);
    expect(catalog.defaultModel.id).toBe('archibot');
    expect(catalog.find('gpt-4.1-mini')).toBeUndefined();
  });

  it('refuses what is not a catalog', () => {
    for (const bad of ['', ',', 'a=b=c', 'a,a', 'has space=x', 'x=', '=x', 'a=b c', 'org/model=x']) expect(() => parseModels(bad), bad).toThrow();
    // A public id is a path segment (/v1/models/{model}); an upstream name may be namespaced.
    expect(parseModels('archibot=openai/gpt-4.1-mini')).toEqual([{ id: 'archibot', upstream: 'openai/gpt-4.1-mini' }]);
  });

  it('config: MODELS wins; without it MODEL_ID is the catalog; a bad MODELS fails loudly by name', () => {
    expect(loadConfig({ TABLE_NAME: 't', MODELS: 'a=b,c' })).toMatchObject({ modelId: 'a', models: [{ id: 'a', upstream: 'b' }, { id: 'c', upstream: 'c' }] });
    expect(loadConfig({ TABLE_NAME: 't' })).toMatchObject({ modelId: 'archibot', models: [{ id: 'archibot', upstream: 'archibot' }] });
    expect(loadConfig({ TABLE_NAME: 't', MODEL_ID: 'mine' }).models).toEqual([{ id: 'mine', upstream: 'mine' }]);
    expect(() => loadConfig({ TABLE_NAME: 't', MODELS: 'a=b=c' })).toThrow(/MODELS/);
  });
});
