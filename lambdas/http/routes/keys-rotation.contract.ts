// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { parseDuration } from '../../core/duration';
import {
  MAX_ROTATION_EVERY_MS,
  MIN_ROTATION_EVERY_MS,
  MIN_ROTATION_OVERLAP_MS,
  DELIVERY_ROLE_PREFIX,
  OWNER_PATTERN,
  ROLE_ARN_PATTERN,
  SECRET_ARN_PATTERN,
} from '../../core/key-rotation';
import { MAX_OVERLAP_MS } from '../../core/key-service';
import { CHANNEL_MAX_LENGTH, CHANNEL_PATTERN } from '../../core/key-request-channel';
import { SERVICE_URL_MAX_LENGTH, SERVICE_URL_PATTERN } from '../../core/rotation-origin';
import { isoTime, nullableTime } from '../schemas';

/**
 * A key's rotation on schedule and its stragglers (issue 25 points 2 and 4; core/key-rotation.ts,
 * core/straggler-report.ts): the request and answer shapes the key routes (keys.contract.ts) use.
 */

const between = (what: string, min: number, max: number, text: string) =>
  z.string().refine((v) => {
    const ms = parseDuration(v);
    return ms !== undefined && ms >= min && ms <= max;
  }, `${what} must be a duration between ${text}, e.g. 90d, 12h or 30m`);

export const DeliverToBody = z
  .union([
    z.strictObject({
      secretsManagerArn: z.string().regex(SECRET_ARN_PATTERN, 'secretsManagerArn must be a Secrets Manager secret ARN'),
      roleArn: z
        .string()
        .regex(ROLE_ARN_PATTERN, `roleArn must be an IAM role ARN named ${DELIVERY_ROLE_PREFIX}… (arn:aws:iam::<account>:role/${DELIVERY_ROLE_PREFIX}<name>)`)
        .optional()
        .describe(
          `The role in the secret's account Keywarden assumes to write it (ExternalId = the key's project id); required when the secret is not in Keywarden's account. Named ${DELIVERY_ROLE_PREFIX}…, no path (docs/operating.md §12)`,
        ),
    }),
    z.strictObject({ owner: z.string().regex(OWNER_PATTERN, 'owner must be a chat identity, slack:<team>:<user> or teams:<tenant>:<aadObjectId>') }),
  ])
  .describe('Where each new value goes: a Secrets Manager secret (its ARN; docs/operating.md gives the policy to grant), or privately to a chat identity');

export const KeyRotationBody = z
  .strictObject({
    every: between('every', MIN_ROTATION_EVERY_MS, MAX_ROTATION_EVERY_MS, '1d and 365d'),
    overlap: between('overlap', MIN_ROTATION_OVERLAP_MS, MAX_OVERLAP_MS, '1m and 7d'),
    deliverTo: DeliverToBody,
  })
  .describe('Rotate this key on schedule: every so long, the old key working for the overlap, the new value delivered to deliverTo');

export const KeyRotationSchema = z
  .strictObject({
    every: z.string(),
    overlap: z.string(),
    deliverTo: DeliverToBody,
    nextRotationAt: isoTime.describe('When the daily job rotates the key next (UTC)'),
    lastFailure: z
      .strictObject({ at: isoTime, reason: z.string() })
      .nullable()
      .describe('The last scheduled rotation whose value could not be delivered: it was undone, and this key kept working'),
  })
  .nullable()
  .describe('Rotation on schedule; null = none');

/** `revokeWhenIdle` on rotate: the old key ends once it has had no call for this long, before its overlap does. */
export const RevokeWhenIdleBody = between('revokeWhenIdle', 60_000, MAX_OVERLAP_MS, '1m and 7d').describe(
  'End the old key once it has had no call for this long, before the overlap ends (needs an overlap)',
);

export const StragglersSchema = z.strictObject({
  object: z.literal('key.stragglers'),
  keyId: z.string().describe('The old key, rotated out and still working during its overlap'),
  replacedBy: z.string().nullable(),
  graceUntil: nullableTime.describe('When the old key stops (null: it already did, or it was never rotated with an overlap)'),
  since: nullableTime.describe('The rotation: calls from then on are counted'),
  callers: z
    .array(
      z.strictObject({
        sourceIp: z.string().nullable(),
        userAgent: z.string().nullable(),
        route: z.string(),
        count: z.number().int().min(1),
        lastSeen: isoTime,
      }),
    )
    .describe('Who still called with the old key since the rotation, by address, user agent and route, most recent first'),
  complete: z.boolean().describe('false when the walk stopped at 10,000 records'),
});

/**
 * `origin` on rotate: the chat conversation a person rotated the key in, through a bot (core/rotation-origin.ts).
 * Only a bot acting for a person may send it (400 otherwise); it is kept on the replacement as `rotatedIn`.
 */
export const RotationOriginBody = z
  .strictObject({
    channel: z.string().max(CHANNEL_MAX_LENGTH).regex(CHANNEL_PATTERN, 'channel must be slack:<team>:<channel> or teams:<tenant>:<conversation id>'),
    thread: z.string().min(1).max(64).optional().describe('Slack: the thread ts; Teams: the root message id of a channel thread'),
    serviceUrl: z.string().max(SERVICE_URL_MAX_LENGTH).regex(SERVICE_URL_PATTERN, 'serviceUrl must be https (or loopback http)').optional().describe('Teams: where the bot posts into that conversation'),
  })
  .describe('Where the rotation was asked for (a bot acting for a person only): that conversation is told of callers still on the old key');

export const RotatedInSchema = z
  .strictObject({ channel: z.string(), thread: z.string().optional(), serviceUrl: z.string().optional() })
  .nullable()
  .describe('On a replacement rotated in a chat conversation: that conversation, told of callers still on the old key; null = none');
