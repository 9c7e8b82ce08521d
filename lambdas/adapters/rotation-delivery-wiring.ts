import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import { publicBase } from '../config';
import type { RotationDelivery } from '../core/key-rotation';
import { KeyRotationSchedule } from '../core/key-rotation-schedule';
import type { Services } from '../services';
import { rotationSecretsClient, SecretsManagerRotationDelivery } from './secrets-manager-rotation-delivery';
import { deliveryStsClient, StsDeliveryRoles } from './sts-credentials';

/**
 * The scheduled rotation job over the composition root's services (lambdas/services.ts): what
 * `keywarden reminders run` and the scheduled AWS function (handlers/secret-rotation-schedule.ts)
 * both run. `SECRETS_MANAGER_ENDPOINT` points the Secrets Manager clients elsewhere (tests), the
 * customer-role ones included; `STS_ENDPOINT` the STS client that assumes customers' roles
 * (cross-account delivery, sts-credentials.ts), which `sts` replaces (tests: its credentials).
 *
 * Owner delivery (`deliverTo: {owner}`) is the store's, not a chat platform's: the value is held
 * sealed for the owner (core/rotation-owner-delivery.ts) and the bots tell them; so every process
 * that runs the job can do it. `owner` replaces it (tests).
 */
export function keyRotationSchedule(
  services: Pick<Services, 'store' | 'clock' | 'keys' | 'audit' | 'events' | 'logger' | 'config' | 'rotationDeliveries'>,
  options: { env?: NodeJS.ProcessEnv; secretsManager?: SecretsManagerClient; owner?: RotationDelivery; sts?: STSClient } = {},
): KeyRotationSchedule {
  const env = options.env ?? process.env;
  const client = options.secretsManager ?? rotationSecretsClient(env.SECRETS_MANAGER_ENDPOINT || undefined);
  const held = services.rotationDeliveries;
  const sts = options.sts ?? deliveryStsClient(env.STS_ENDPOINT || undefined, env.AWS_REGION);
  const roles = new StsDeliveryRoles({ sts, secretsManagerEndpoint: env.SECRETS_MANAGER_ENDPOINT || undefined });
  const delivery = new SecretsManagerRotationDelivery({ client, baseUrl: `${publicBase(services.config)}/v1`, owner: options.owner ?? held, roles });
  return new KeyRotationSchedule({ store: services.store, clock: services.clock, keys: services.keys, audit: services.audit, events: services.events, delivery, owner: held, log: services.logger });
}

