/**
 * Keywarden's Slack edge (SPEC §5): Bolt listeners (listeners/, a folder per surface, a file per
 * listener), Block Kit factories (blocks/), private delivery (delivery.ts, the core's port on
 * Slack), and two ways to run it, booted as the Teams edge is (bots/boot/) — the local server
 * mount (`slackMount`, at /slack/events) and the Lambda entry (handler.ts).
 */
export { createSlackBot, type SlackBot } from './slack-app';
export { createSlackLambdaHandler, type SlackLambdaHandler, type SlackLambdaOptions } from './lambda-handler';
export { slackMount, SLACK_EVENTS_PATH } from './local-mount';
export { ACTION_CANCEL, ACTION_CONFIRM, ACTION_LEAK_REVOKE, CREATE_MODAL_CALLBACK, SLASH_COMMAND } from './blocks/action-ids';
