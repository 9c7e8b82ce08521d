import { slackIdentity } from '../../core';

/**
 * The acting person of an interaction payload (button click, modal submission): the user Slack
 * says clicked, in their workspace. Slack signs the payload, so this cannot be forged by a user.
 */
export function interactionIdentity(body: { user: { id: string; team_id?: string }; team?: { id: string } | null }): string | undefined {
  const team = body.team?.id ?? body.user.team_id;
  return team ? slackIdentity(team, body.user.id) : undefined;
}
