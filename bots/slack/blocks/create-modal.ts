import type { types } from '@slack/bolt';
import { SCOPES } from '../../../lambdas/core/scopes';
import type { RawCreateFields } from '../../core';
import { CREATE_MODAL_CALLBACK } from './action-ids';

/** Where to deliver the new key after the modal is submitted (carried in private_metadata). */
export interface CreateModalMetadata {
  /** The slash command's response_url: the key goes back there as an ephemeral message. */
  responseUrl?: string;
  channelId?: string;
}

export const CREATE_FIELDS = {
  name: { block: 'kw_name', action: 'value' },
  type: { block: 'kw_type', action: 'value' },
  scopes: { block: 'kw_scopes', action: 'value' },
  expires: { block: 'kw_expires', action: 'value' },
  prefix: { block: 'kw_prefix', action: 'value' },
} as const satisfies Record<keyof RawCreateFields, { block: string; action: string }>;

const option = (value: string, label = value): types.PlainTextOption => ({ text: { type: 'plain_text', text: label }, value });

function textInput(block: string, label: string, placeholder: string, hint?: string): types.InputBlock {
  return {
    type: 'input',
    block_id: block,
    optional: true,
    label: { type: 'plain_text', text: label },
    element: { type: 'plain_text_input', action_id: 'value', placeholder: { type: 'plain_text', text: placeholder }, max_length: 200 },
    ...(hint ? { hint: { type: 'plain_text', text: hint } } : {}),
  };
}

/** `/apikeys create` with no arguments: the same fields as the command's flags. */
export function createKeyModal(metadata: CreateModalMetadata): types.View {
  const typeOptions = [option('privileged', 'Privileged'), option('viewer', 'Locked-Down Viewer')];
  return {
    type: 'modal',
    callback_id: CREATE_MODAL_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Create an API key' },
    submit: { type: 'plain_text', text: 'Create' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      textInput(CREATE_FIELDS.name.block, 'Name', 'Console generated key N', 'Blank: Console generated key N'),
      {
        type: 'input',
        block_id: CREATE_FIELDS.type.block,
        label: { type: 'plain_text', text: 'Type' },
        element: { type: 'static_select', action_id: 'value', options: typeOptions, initial_option: typeOptions[0] },
      },
      {
        type: 'input',
        block_id: CREATE_FIELDS.scopes.block,
        optional: true,
        label: { type: 'plain_text', text: 'Scopes' },
        hint: { type: 'plain_text', text: 'Blank: everything the type allows.' },
        element: { type: 'multi_static_select', action_id: 'value', options: SCOPES.map((s) => option(s)) },
      },
      textInput(CREATE_FIELDS.expires.block, 'Expires in', '365d', 'Like 90d, 12h or 30m. Blank: one year.'),
      textInput(CREATE_FIELDS.prefix.block, 'Prefix', 'archie', '2–12 lowercase letters or digits.'),
    ],
  };
}

type StateValues = Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null; selected_options?: { value: string }[] }>>;

/** The submitted values, as strings for `validateCreateOptions`. */
export function readCreateModal(values: StateValues): RawCreateFields {
  const get = (field: keyof typeof CREATE_FIELDS) => values[CREATE_FIELDS[field].block]?.[CREATE_FIELDS[field].action];
  return {
    name: get('name')?.value ?? undefined,
    type: get('type')?.selected_option?.value ?? undefined,
    scopes: get('scopes')?.selected_options?.map((o) => o.value) ?? [],
    expires: get('expires')?.value ?? undefined,
    prefix: get('prefix')?.value ?? undefined,
  };
}

export function readCreateMetadata(raw: string | undefined): CreateModalMetadata {
  try {
    const parsed = JSON.parse(raw ?? '{}') as CreateModalMetadata;
    return {
      ...(typeof parsed.responseUrl === 'string' ? { responseUrl: parsed.responseUrl } : {}),
      ...(typeof parsed.channelId === 'string' ? { channelId: parsed.channelId } : {}),
    };
  } catch {
    return {};
  }
}
