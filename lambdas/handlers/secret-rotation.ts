import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { parseDuration } from '../core/duration';
import { loggerWith, loggingFromEnvironment } from '../logging';
import { SecretRotation } from './secret-rotation-steps';

/**
 * Lambda entry of the Secrets Manager rotation function (lib/keywarden-secret-rotation.ts): a
 * client of /v1 like the bots, holding no table or service secret. Its configuration is parsed
 * once, on the first invocation (so tests can import this module); a missing or malformed
 * variable fails that invocation loudly with its name. The steps are secret-rotation-steps.ts.
 */
const SEVEN_DAYS_MS = 7 * 86_400_000;

export const RotationConfig = z.object({
  /** Keywarden's API base; keys are sent there and nowhere else. */
  KEYWARDEN_API_URL: z.url({ protocol: /^https?$/ }),
  /** ARN of the secret holding the rotator key (`{"apiKey": "…"}`); unset: each key rotates itself. */
  KEYWARDEN_ROTATOR_SECRET_ARN: z.string().min(1).optional(),
  /**
   * How long the old key keeps working after a rotation: readers that cache the secret (AWS's
   * caching clients refresh hourly by default) move over within it. At least a minute, so a
   * createSecret retried after a lost answer still finds the old key answering; at most 7 days.
   */
  KEYWARDEN_ROTATION_OVERLAP: z
    .string()
    .default('2h')
    .refine((v) => {
      const ms = parseDuration(v);
      return ms !== undefined && ms >= 60_000 && ms <= SEVEN_DAYS_MS;
    }, 'a duration between 1m and 7d, e.g. 2h'),
  /** Only for tests and unusual networks: where the Secrets Manager client sends its calls. */
  SECRETS_MANAGER_ENDPOINT: z.url().optional(),
});
export type RotationConfig = z.infer<typeof RotationConfig>;

/** An empty variable counts as unset (a template that leaves an optional value blank). */
export function loadRotationConfig(env: NodeJS.ProcessEnv): RotationConfig {
  const parsed = RotationConfig.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new Error(`Invalid rotation function configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The four steps, wired from the configuration: what the Lambda entry and the tests both build. */
export function buildSecretRotation(config: RotationConfig, options: { secrets?: SecretsManagerClient; fetch?: typeof fetch } = {}): SecretRotation {
  return new SecretRotation({
    secrets: options.secrets ?? new SecretsManagerClient(config.SECRETS_MANAGER_ENDPOINT ? { endpoint: config.SECRETS_MANAGER_ENDPOINT } : {}),
    apiUrl: config.KEYWARDEN_API_URL,
    ...(config.KEYWARDEN_ROTATOR_SECRET_ARN ? { rotatorSecretId: config.KEYWARDEN_ROTATOR_SECRET_ARN } : {}),
    overlap: config.KEYWARDEN_ROTATION_OVERLAP,
    logger: loggerWith(loggingFromEnvironment(), { serviceName: 'keywarden-secret-rotation' }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

let rotation: SecretRotation | undefined;

/** `{SecretId, ClientRequestToken, Step}` from Secrets Manager; a refusal throws, and the rotation stops there. */
export async function handler(event: unknown): Promise<void> {
  rotation ??= buildSecretRotation(loadRotationConfig(process.env));
  await rotation.run(event);
}
