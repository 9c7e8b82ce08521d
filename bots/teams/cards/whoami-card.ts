import { adaptiveCard, facts, heading, type AdaptiveCard } from './adaptive-card';

/** `whoami`: the Teams identity admins are registered under, and what it may do. */
export function whoamiCard(input: {
  identity: string;
  isAdmin: boolean;
  project: { id: string; name: string } | null;
  botKey: { id: string; start: string };
  environment: string;
}): AdaptiveCard {
  return adaptiveCard([
    heading('Who you are to Keywarden'),
    facts([
      ['Identity', input.identity],
      ['Admin', input.isAdmin ? 'yes — you may create, rotate, revoke, delete, pause, resume, limit and budget keys' : 'no — you may list, show and audit keys'],
      ['Project', input.project ? `${input.project.name} (${input.project.id})` : 'unknown'],
      ['Environment', input.environment],
      ['Bot key', `${input.botKey.start}… (${input.botKey.id})`],
    ]),
  ]);
}
