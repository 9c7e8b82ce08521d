import type { CreateOptions } from '../../core/command-grammar';
import { adaptiveCard, button, heading, text, type AdaptiveCard } from './adaptive-card';
import { VERB } from './verbs';

/** The form fields as they come back in the action data (multi-select scopes arrive comma-joined). */
export const CREATE_FIELDS = ['name', 'type', 'scopes', 'expires', 'prefix'] as const;
export type CreateFormData = Partial<Record<(typeof CREATE_FIELDS)[number], string>>;

/** `create` with no arguments: name, type, scopes and expiry, then one button. */
export function createKeyCard(input: { defaults: CreateOptions; scopes: readonly string[] }): AdaptiveCard {
  const d = input.defaults;
  return adaptiveCard(
    [
      heading('Create an API key'),
      text('The new key is sent only to you, in your personal chat with Keywarden.', { isSubtle: true }),
      { type: 'Input.Text', id: 'name', label: 'Name', placeholder: 'Console generated key N when blank', maxLength: 100, ...(d.name ? { value: d.name } : {}) },
      {
        type: 'Input.ChoiceSet',
        id: 'type',
        label: 'Type',
        style: 'expanded',
        value: d.type ?? 'viewer',
        choices: [
          { title: 'Locked-Down Viewer (read, models, chat)', value: 'viewer' },
          { title: 'Privileged (everything its scopes allow)', value: 'privileged' },
        ],
      },
      {
        type: 'Input.ChoiceSet',
        id: 'scopes',
        label: 'Scopes (blank = the type’s defaults)',
        style: 'filtered',
        isMultiSelect: true,
        choices: input.scopes.map((s) => ({ title: s, value: s })),
        ...(d.scopes?.length ? { value: d.scopes.join(',') } : {}),
      },
      { type: 'Input.Text', id: 'expires', label: 'Expires in', placeholder: '90d (blank = one year)', maxLength: 10, ...(d.expires ? { value: d.expires } : {}) },
      { type: 'Input.Text', id: 'prefix', label: 'Prefix', placeholder: 'archie', maxLength: 12, ...(d.prefix ? { value: d.prefix } : {}) },
    ],
    [button('Create key', VERB.create, {}, 'positive')],
  );
}
