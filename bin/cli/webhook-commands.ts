import { number, print, program } from './context';
import { api } from './key-commands';
import { deliveryTable, parseEvents, webhookLine, webhookTable } from './webhook-table';

/**
 * `webhooks`: the project's webhook endpoints for lifecycle events over /v1 (issue 22), with the
 * caller's key like the key commands (KEYWARDEN_API_URL and KEYWARDEN_API_KEY, else the local
 * stack's bootstrap.json). The API decides who may: webhooks:read to list, webhooks:write (and
 * audit:read without row filters, to add) to change.
 */
const webhooks = program
  .command('webhooks')
  .description('the project’s webhooks for lifecycle events over /v1 (key.revoked, key.exposed, budget.threshold, …), signed per Standard Webhooks');
webhooks
  .command('add <url>')
  .description('register a webhook endpoint; prints its signing secret once')
  .option('--events <list>', 'comma-separated event types it receives (default: all)', parseEvents)
  .option('--description <text>', 'a few words on what it is for')
  .action(async (url: string, o: { events?: ReturnType<typeof parseEvents>; description?: string }) => {
    const created = await api('createWebhook', { body: { url, ...(o.events ? { events: o.events } : {}), ...(o.description ? { description: o.description } : {}) } });
    print(created, () =>
      [
        webhookLine(created),
        `signing secret: ${created.secret}`,
        'This secret is not shown again: keep it where the receiver can verify deliveries with it (webhook-signature; the standardwebhooks package).',
      ].join('\n'),
    );
  });
webhooks
  .command('list')
  .description('list the project’s webhooks (never their secrets)')
  .action(async () => {
    const list = await api('listWebhooks', {});
    print(list, () => webhookTable(list.data));
  });
webhooks
  .command('rm <webhookId>')
  .description('remove a webhook: nothing more is sent to it')
  .action(async (id: string) => {
    const removed = await api('deleteWebhook', { params: { id } });
    print(removed, () => `${removed.id} removed`);
  });
webhooks
  .command('deliveries <webhookId>')
  .description('a webhook’s delivery log, newest event first: status, attempts, last answer, next retry')
  .option('--limit <n>', 'how many (1–200)', number('limit'))
  .option('--cursor <cursor>', 'the next page, as the previous page printed it')
  .action(async (id: string, o: { limit?: number; cursor?: string }) => {
    const page = await api('listWebhookDeliveries', { params: { id }, query: { limit: o.limit, cursor: o.cursor } });
    print(page, () => deliveryTable(page));
  });
