import { SecretsProvider as PowertoolsSecrets } from '@aws-lambda-powertools/parameters/secrets';
import { secretArnVariable, type SecretName } from '../config';
import { KeywardenError } from '../core/errors';
import type { SecretsProvider } from '../core/ports';

/** Secrets Manager through Powertools Parameters: JSON values, cached per warm instance. */
export class AwsSecretsProvider implements SecretsProvider {
  private readonly provider = new PowertoolsSecrets();

  constructor(
    private readonly arns: Partial<Record<SecretName, string>>,
    private readonly maxAgeSeconds = 300,
  ) {}

  async get<T>(name: SecretName): Promise<T> {
    const arn = this.arns[name];
    if (!arn) throw new KeywardenError('service_unavailable', `secret ${name} is not configured (${secretArnVariable(name)})`);
    const value = await this.provider.get(arn, { transform: 'json', maxAge: this.maxAgeSeconds });
    if (value === undefined || value === null) throw new KeywardenError('service_unavailable', `secret ${name} has no value`);
    return value as T;
  }
}

/** Secrets held in memory: the local stack's generated `.data/secrets.json`, and tests. */
export class StaticSecretsProvider implements SecretsProvider {
  constructor(private readonly values: Partial<Record<SecretName, unknown>>) {}

  async get<T>(name: SecretName): Promise<T> {
    const value = this.values[name];
    if (value === undefined) throw new KeywardenError('service_unavailable', `secret ${name} is not configured`);
    return value as T;
  }
}
