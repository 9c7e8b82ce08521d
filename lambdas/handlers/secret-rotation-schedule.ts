import { keyRotationSchedule } from '../adapters/rotation-delivery-wiring';
import { loadConfig } from '../config';
import { composeServices } from '../services-core';
import { ROTATIONS_PARTS } from './absent-parts';

/**
 * Lambda entry of the scheduled key rotation (issue 25 points 2 and 4; lib/keywarden-rotation-schedule.ts):
 * `{ "keywarden": "rotations" }` from its schedule, or invoked by an operator to run it now. One
 * run of core/key-rotation-schedule.ts: keys due rotated and their values put into the secrets
 * that hold them (PutSecretValue, on tagged secrets only: the function's role), rotations whose
 * value could not be delivered undone, old keys idle past `revokeWhenIdle` revoked. What
 * `keywarden reminders run` runs locally. A failure throws (the function's Errors metric). Built
 * without model calls, event delivery or operator actions (function-parts.ts): the run's events
 * are stored in the outbox, which the events function delivers.
 */
const services = composeServices(loadConfig(), {}, ROTATIONS_PARTS);

export async function handler(): Promise<void> {
  const report = await keyRotationSchedule(services).run();
  services.logger.info('key rotation schedule', { ...report });
}
