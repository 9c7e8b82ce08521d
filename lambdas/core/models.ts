import type { KeyRecord } from './types';

/**
 * The model catalog (SPEC §4): the public model ids callers name, each mapped to the upstream
 * model that serves it. Configured as `MODELS` (environment, or the CDK stage's `models`):
 * `archibot=gpt-4.1-mini,archibot-mini=gpt-4.1-nano`; an id alone maps to itself.
 */
export interface CatalogModel {
  /** The public id (what `/v1/models` lists and callers send). */
  id: string;
  /** The name the upstream receives. */
  upstream: string;
}

/** A public model id: what `/v1/models/{model}` and request bodies carry (no `/`: it is a path segment). */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** An upstream model name, which may be namespaced (`org/model`). */
export const UPSTREAM_MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** Parses a `MODELS` value; throws with the offending entry when it is not a valid catalog. */
export function parseModels(spec: string): CatalogModel[] {
  const models: CatalogModel[] = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const [id = '', mapped, ...rest] = entry.split('=').map((part) => part.trim());
    const upstream = mapped ?? id;
    if (rest.length > 0 || !MODEL_ID_PATTERN.test(id) || !UPSTREAM_MODEL_NAME.test(upstream)) {
      throw new Error(`not a model entry (id or id=upstream-model): ${entry}`);
    }
    if (models.some((m) => m.id === id)) throw new Error(`model listed twice: ${id}`);
    models.push({ id, upstream });
  }
  if (models.length === 0) throw new Error('the catalog lists no model');
  return models;
}

/** A key with its own `models` list may use only those (SPEC §4); without one, the whole catalog. */
export function keyMayUse(key: Pick<KeyRecord, 'models'>, model: string): boolean {
  return key.models === undefined || key.models.includes(model);
}

export class ModelCatalog {
  constructor(readonly models: readonly CatalogModel[]) {}

  /** The catalog entry for a public id, if it is one. */
  find(id: string): CatalogModel | undefined {
    return this.models.find((m) => m.id === id);
  }

  /** The default model: the first listed (bots chat with it, setup scripts name it). */
  get defaultModel(): CatalogModel {
    return this.models[0]!;
  }
}
