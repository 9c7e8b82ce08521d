import { SecretsProvider as PowertoolsSecrets } from '@aws-lambda-powertools/parameters/secrets';
import { upstreamKeyVariable } from '../config';
import { KeywardenError } from '../core/errors';
import type { UpstreamDeployment } from '../core/models';
import type { SecretsProvider } from '../core/ports';
import type { ApiKeySource } from './upstream';

/**
 * Where each upstream deployment's key comes from (docs/gateway.md, "More than one upstream"):
 *
 *   no `secret`   the platform's own upstream key, as the single upstream reads it (the
 *                 `upstream` secret in AWS, UPSTREAM_API_KEY locally)
 *   `secret`      in AWS, that Secrets Manager secret (name or ARN), `{"apiKey": "…"}`, cached
 *                 per warm instance as the service's own secrets are; locally (no Secrets
 *                 Manager), the environment's UPSTREAM_API_KEY_<SECRET>
 *
 * The key is asked for on each attempt: a rotated secret is read within the cache's age.
 */
export class UpstreamKeys {
  private readonly secretsManager = new PowertoolsSecrets();

  constructor(
    private readonly deps: {
      /** The service's secrets (its `upstream` one). */
      secrets: SecretsProvider;
      /** Locally: a secret's key from the environment; unset in AWS. */
      fromEnv?: (secret: string) => string | undefined;
      maxAgeSeconds?: number;
    },
  ) {}

  /**
   * Locally, every deployment's key must be in the environment: a missing one fails the start
   * with the variable's name, not a call later.
   */
  static missingLocally(deployments: readonly UpstreamDeployment[], fromEnv: (secret: string) => string | undefined): string[] {
    const secrets = new Set(deployments.flatMap((d) => (d.secret ? [d.secret] : [])));
    return [...secrets].filter((secret) => fromEnv(secret) === undefined).map(upstreamKeyVariable);
  }

  sourceFor(deployment: UpstreamDeployment): ApiKeySource {
    const { secret } = deployment;
    const { secrets, fromEnv } = this.deps;
    if (!secret) return async () => (await secrets.get<{ apiKey?: string }>('upstream')).apiKey;
    if (fromEnv) {
      return async () => {
        const key = fromEnv(secret);
        if (key === undefined) throw new KeywardenError('service_unavailable', `deployment ${deployment.name}: ${upstreamKeyVariable(secret)} is not set`);
        return key;
      };
    }
    return async () => {
      const value = await this.secretsManager.get(secret, { transform: 'json', maxAge: this.deps.maxAgeSeconds ?? 300 });
      const apiKey = (value as { apiKey?: unknown } | undefined)?.apiKey;
      if (typeof apiKey !== 'string' || apiKey === '') throw new KeywardenError('service_unavailable', `deployment ${deployment.name}: its secret holds no apiKey`);
      return apiKey;
    };
  }
}
