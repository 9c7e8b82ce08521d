import { keyRotationSchedule } from '../adapters/rotation-delivery-wiring';
import { loadConfig } from '../config';
import { buildServices } from '../services';

/**
 * Lambda entry of the scheduled key rotation (issue 25 points 2 and 4; lib/keywarden-rotation-schedule.ts):
 * `{ "keywarden": "rotations" }` from its schedule, or invoked by an operator to run it now. One
 * run of core/key-rotation-schedule.ts: keys due rotated and their values put into the secrets
 * that hold them (PutSecretValue, on tagged secrets only: the function's role), rotations whose
 * value could not be delivered undone, old keys idle past `revokeWhenIdle` revoked. What
 * `keywarden reminders run` runs locally. A failure throws (the function's Errors metric).
 */
const services = buildServices(loadConfig());

export async function handler(): Promise<void> {
  const report = await keyRotationSchedule(services).run();
  services.logger.info('key rotation schedule', { ...report });
}
