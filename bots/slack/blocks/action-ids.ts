/** Interaction ids the listeners register for; blocks and listeners share them from here. */
export const ACTION_CONFIRM = 'kw_confirm';
export const ACTION_CANCEL = 'kw_cancel';
export const ACTION_LEAK_REVOKE = 'kw_leak_revoke';
export const CREATE_MODAL_CALLBACK = 'kw_create_key';
export const SLASH_COMMAND = '/apikeys';
/** The Rotate / Revoke buttons of an expiry reminder: they start the usual confirmation. */
export const ACTION_REMINDER = 'kw_reminder';
/** `Raise budget…` / `Pause key` on a budget alert (`_raise`, `_pause`). */
export const ACTION_BUDGET_ALERT = 'kw_budget';
/** The form `Raise budget…` opens: the new budget. */
export const BUDGET_MODAL_CALLBACK = 'kw_budget_modal';
/** `Create replacement` / `Show usage` on an exposure notice (`_replace`, `_usage`). */
export const ACTION_EXPOSURE = 'kw_exposure';
/** Approve / Deny… on a key request card, Collect key on the requester's notice (`_approve`, `_deny`, `_collect`). */
export const ACTION_KEY_REQUEST = 'kw_key_request';
/** The form Deny… opens: the reason the requester reads. */
export const DENY_MODAL_CALLBACK = 'kw_key_request_deny';
/** Collect key on a scheduled rotation's notice to the key's owner (`_collect`). */
export const ACTION_ROTATION_DELIVERY = 'kw_rotation_delivery';
