import { number, print, program } from './context';
import { api } from './key-commands';
import { usageTable } from './usage-table';

/**
 * `usage`: requests, tokens and credits per UTC day over /v1 (GET /v1/usage/daily, read from the
 * daily counters), for one key of the project or the whole account; like the key commands it
 * goes with KEYWARDEN_API_URL and KEYWARDEN_API_KEY (else the local stack's bootstrap.json).
 */
program
  .command('usage')
  .description('requests, tokens and credits per UTC day over /v1, for one key or the account (needs audit:read)')
  .option('--key <keyId>', 'one key of the project (default: the totals of the project’s account)')
  .option('--days <n>', 'how many days, ending today (1–90, default 30)', number('days'))
  .action(async (o: { key?: string; days?: number }) => {
    const daily = await api('dailyUsage', { query: { keyId: o.key, days: o.days } });
    print(daily, () => usageTable(daily));
  });
