/**
 * A second gateway instance for the concurrency cap's crash test (key-limits.test.ts): it opens
 * the running local stack's store (through its dynalite, as the CLI does), starts `count`
 * streamed model calls for a key against a stand-in upstream that never finishes them, says
 * `holding <n>` once their slots are leased, and waits — until the test kills it with SIGKILL,
 * so nothing it holds is ever given back except by its leases running out.
 *
 *   node --import tsx test/support/slot-holder.ts <dataDir> <upstreamBaseUrl> <clockOffsetMs> <count>
 *   (the raw key on stdin: never in argv, where `ps` shows it)
 */
import { callModel } from '../../lambdas/core/model-call';
import { DataDir, withEnvironment } from '../../lambdas/local/data-dir';
import { openLocalServices } from '../../lambdas/local/local-services';
import { OffsetClock } from './clock';

const [dir, upstream, offset, count] = process.argv.slice(2);
const raw = (await new Promise<string>((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text.trim()));
}));
const dataDir = DataDir.open(dir!);
const clock = new OffsetClock();
clock.advance(Number(offset));
const env = { ...process.env, DATA_DIR: dir, UPSTREAM_BASE_URL: upstream, UPSTREAM_API_KEY: 'up-secret', UPSTREAM_TIMEOUT_MS: '600000' };
const services = await openLocalServices({
  env,
  dynamodbEndpoint: dataDir.endpoint()!.dynamodbEndpoint,
  secrets: withEnvironment(dataDir.secrets(), env),
  clock,
});
let held = 0;
for (let i = 0; i < Number(count); i++) {
  const outcome = await callModel(services, {
    model: 'archibot',
    stream: true,
    path: '/responses',
    body: (model) => JSON.stringify({ model: model.upstream, input: 'hold', stream: true }),
    bearer: raw,
    async admit(call) {
      const check = await services.auth.authenticate(raw, call);
      if (check.result === 'over_limit') return check;
      if (check.result !== 'valid') throw new Error(`not admitted: ${check.result}`);
      return { result: 'valid', key: check.key, ...(check.hold ? { hold: check.hold } : {}) };
    },
  });
  if (outcome.kind === 'streaming') held++;
}
process.stdout.write(`holding ${held}\n`);
setInterval(() => undefined, 1 << 30);
