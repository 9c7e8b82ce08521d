/**
 * The event the daily schedule invokes the bot functions with (lib/keywarden-bots.ts), and the
 * local timer and `keywarden reminders run` reproduce. An API Gateway event never has this shape
 * (it always carries `httpMethod`), so nothing a caller sends over HTTP can start the job.
 */
export const EXPIRY_REMINDERS_EVENT = { keywarden: 'expiry-reminders' } as const;

export function isExpiryRemindersEvent(event: unknown): boolean {
  if (!event || typeof event !== 'object' || 'httpMethod' in event || 'requestContext' in event) return false;
  return (event as { keywarden?: unknown }).keywarden === EXPIRY_REMINDERS_EVENT.keywarden;
}
