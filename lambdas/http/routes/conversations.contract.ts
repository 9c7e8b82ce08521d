// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { UPSTREAM_ID_PATTERN } from '../openai-apis';
import { contract } from '../route-contract';
import { idSlot } from '../schemas';
import { InputItemsQuery } from './responses-stored.contract';

/**
 * OpenAI's Conversations API (routes/conversations.ts): a conversation and its items, kept by the
 * upstream, served for the project whose call created the conversation and only for it.
 */

/** A conversation id: the upstream's (`conv_…`); checked before any owner record is looked up. */
export const ConversationIdSlot = idSlot('conversation_id', UPSTREAM_ID_PATTERN, 'a conversation id (conv_…: up to 128 letters, digits, _ or -)');
/** An item id (`msg_…`, `fc_…`, …), checked the same way. */
export const ItemIdSlot = idSlot('item_id', UPSTREAM_ID_PATTERN, 'an item id (msg_…: up to 128 letters, digits, _ or -)');

export const ConversationParams = z.object({ id: ConversationIdSlot });
export const ConversationItemParams = z.object({ id: ConversationIdSlot, itemId: ItemIdSlot });

/** OpenAI's metadata: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const Metadata = z
  .record(z.string().max(64, 'metadata keys are at most 64 characters'), z.string({ error: 'metadata values must be strings' }).max(512, 'metadata values are at most 512 characters'), {
    error: 'metadata must be an object of string values',
  })
  .refine((m) => Object.keys(m).length <= 16, 'metadata holds at most 16 pairs');

/** Items as the Responses API takes them (messages, tool calls, …): their shape is the upstream's business; at most 20 at once, as OpenAI. */
const Items = z.array(z.looseObject({}), { error: 'items must be a list of items (objects)' }).max(20, 'at most 20 items at once');

/**
 * The bodies OpenAI defines, and nothing else: an unknown field is a 400 here as it is at OpenAI
 * (a bot's old `/v1/conversations` call, `{ reference }`, is refused, never turned into a
 * conversation), and only what was validated is sent on.
 */
export const CreateConversationBody = z.strictObject({ items: Items.nullable().optional(), metadata: Metadata.nullable().optional() });
export const UpdateConversationBody = z.strictObject({ metadata: Metadata.nullable() });
export const CreateItemsBody = z.strictObject({ items: Items.min(1, 'items must not be empty') });

/** What item creation and retrieval read of the query (the SDK sends `include` as `include[]`). */
export const ItemQuery = InputItemsQuery.pick({ include: true, 'include[]': true });
/** The items listing: OpenAI's cursor (`after` an item id, `limit` 1–100, `order`) and `include`. */
export const ItemsListQuery = InputItemsQuery;

const common = {
  tags: ['Conversations'],
  auth: 'key' as const,
  // Served beside the model calls: the function that holds the upstream's key.
  streaming: true,
  errors: [404, 502, 504] as const,
  relaysUpstreamErrors: true,
};

const ownerOnly = 'Only the project whose call created the conversation may use it: any other (or an unknown id) is 404 before the upstream is called. Not billed.';
const answer = (what: string) => ({ status: 200 as const, description: `The upstream’s ${what}` });

export const CONVERSATION_CONTRACT = {
  createConversation: contract({
    ...common,
    method: 'POST',
    path: '/v1/conversations',
    operationId: 'createConversation',
    summary: 'Create a conversation (OpenAI Conversations API) at the upstream, with optional items and metadata',
    description: 'The new conversation belongs to the caller’s project (recorded after the answer). Not billed.',
    body: CreateConversationBody,
    success: answer('conversation object'),
  }),
  getConversation: contract({
    ...common,
    method: 'GET',
    path: '/v1/conversations/:id',
    operationId: 'getConversation',
    summary: 'Retrieve a conversation',
    description: ownerOnly,
    params: ConversationParams,
    success: answer('conversation object'),
  }),
  updateConversation: contract({
    ...common,
    method: 'POST',
    path: '/v1/conversations/:id',
    operationId: 'updateConversation',
    summary: 'Update a conversation’s metadata',
    description: ownerOnly,
    params: ConversationParams,
    body: UpdateConversationBody,
    success: answer('conversation object'),
  }),
  deleteConversation: contract({
    ...common,
    method: 'DELETE',
    path: '/v1/conversations/:id',
    operationId: 'deleteConversation',
    summary: 'Delete a conversation (its items are not deleted)',
    description: ownerOnly,
    params: ConversationParams,
    success: answer('conversation.deleted answer'),
  }),
  listConversationItems: contract({
    ...common,
    method: 'GET',
    path: '/v1/conversations/:id/items',
    operationId: 'listConversationItems',
    summary: 'List a conversation’s items (cursor: after, limit, order)',
    description: ownerOnly,
    params: ConversationParams,
    query: ItemsListQuery,
    success: answer('list of items'),
  }),
  createConversationItems: contract({
    ...common,
    method: 'POST',
    path: '/v1/conversations/:id/items',
    operationId: 'createConversationItems',
    summary: 'Add items to a conversation (at most 20 at once)',
    description: ownerOnly,
    params: ConversationParams,
    query: ItemQuery,
    body: CreateItemsBody,
    success: answer('list of the items added'),
  }),
  getConversationItem: contract({
    ...common,
    method: 'GET',
    path: '/v1/conversations/:id/items/:itemId',
    operationId: 'getConversationItem',
    summary: 'Retrieve one item of a conversation',
    description: ownerOnly,
    params: ConversationItemParams,
    query: ItemQuery,
    success: answer('item'),
  }),
  deleteConversationItem: contract({
    ...common,
    method: 'DELETE',
    path: '/v1/conversations/:id/items/:itemId',
    operationId: 'deleteConversationItem',
    summary: 'Delete one item of a conversation',
    description: ownerOnly,
    params: ConversationItemParams,
    success: answer('conversation object'),
  }),
} as const;
