import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { publicBase } from '../config';
import type { RotationDelivery } from '../core/key-rotation';
import { KeyRotationSchedule } from '../core/key-rotation-schedule';
import type { Services } from '../services';
import { rotationSecretsClient, SecretsManagerRotationDelivery } from './secrets-manager-rotation-delivery';

/**
 * The scheduled rotation job over the composition root's services (lambdas/services.ts): what
 * `keywarden reminders run` and the scheduled AWS function (handlers/secret-rotation-schedule.ts)
 * both run. `SECRETS_MANAGER_ENDPOINT` points the Secrets Manager client elsewhere (tests).
 */
export function keyRotationSchedule(
  services: Pick<Services, 'store' | 'clock' | 'keys' | 'audit' | 'events' | 'logger' | 'config'>,
  options: { env?: NodeJS.ProcessEnv; secretsManager?: SecretsManagerClient; owner?: RotationDelivery } = {},
): KeyRotationSchedule {
  const env = options.env ?? process.env;
  const client = options.secretsManager ?? rotationSecretsClient(env.SECRETS_MANAGER_ENDPOINT || undefined);
  const delivery = new SecretsManagerRotationDelivery({ client, baseUrl: `${publicBase(services.config)}/v1`, ...(options.owner ? { owner: options.owner } : {}) });
  return new KeyRotationSchedule({ store: services.store, clock: services.clock, keys: services.keys, audit: services.audit, events: services.events, delivery, log: services.logger });
}
