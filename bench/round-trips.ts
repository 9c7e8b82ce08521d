import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StandInUpstream } from '../test/gateway/stand-in-upstream';
import { median } from './stats';

/**
 * Blocking DynamoDB round trips per request, counted at the DynamoDB client: a middleware in the
 * `deserialize` step runs once per HTTP exchange with the table (retries included), for the plain
 * client and the document client alike (they share one middleware stack).
 */
export interface RoundTripCounter {
  total: number;
  /** Wall time spent inside DynamoDB calls (overlapping calls add up). */
  ms: number;
  commands: string[];
  reset(): void;
}

export function countRoundTrips(client: DynamoDBClient): RoundTripCounter {
  const counter: RoundTripCounter = {
    total: 0,
    ms: 0,
    commands: [],
    reset() {
      counter.total = 0;
      counter.ms = 0;
      counter.commands = [];
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.total += 1;
      counter.commands.push(String(context.commandName ?? 'unknown').replace(/Command$/, ''));
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        counter.ms += performance.now() - start;
      }
    },
    { step: 'deserialize', name: 'benchRoundTripCounter', priority: 'high' },
  );
  return counter;
}

export interface RoundTripFigures {
  models: { firstInWindow: number; warmMedian: number; warmMax: number; warmCommands: string[] };
  responses: {
    firstInWindow: { beforeUpstream: number; total: number };
    warmBeforeUpstreamMedian: number;
    warmBeforeUpstreamMax: number;
    warmTotalMedian: number;
    warmCommandsBeforeUpstream: string[];
    warmCommandsTotal: string[];
  };
  samples: number;
}

/**
 * Sequential requests with one fresh key each for /v1/models and /v1/responses: the first request
 * opens a rate-limit window (and, for models, fills the per-instance gate cache); the rest are warm.
 * For /v1/responses the count is snapshotted when the stand-in upstream receives the request.
 */
export async function measureRoundTrips(options: {
  baseUrl: string;
  counter: RoundTripCounter;
  upstream: StandInUpstream;
  modelsKey: string;
  responsesKey: string;
  samples: number;
}): Promise<RoundTripFigures> {
  const { baseUrl, counter, upstream, samples } = options;

  const models: number[] = [];
  let modelsWarmCommands: string[] = [];
  for (let i = 0; i <= samples; i++) {
    counter.reset();
    const res = await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${options.modelsKey}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/v1/models answered ${res.status}`);
    models.push(counter.total);
    if (i === samples) modelsWarmCommands = [...counter.commands];
  }

  let atUpstream: { total: number; commands: string[] } | undefined;
  const mark = () => (atUpstream = { total: counter.total, commands: [...counter.commands] });
  upstream.events.on('request', mark);
  const before: number[] = [];
  const total: number[] = [];
  let warmBefore: string[] = [];
  let warmTotal: string[] = [];
  try {
    for (let i = 0; i <= samples; i++) {
      counter.reset();
      atUpstream = undefined;
      const res = await fetch(`${baseUrl}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.responsesKey}`, 'content-type': 'application/json' },
        body: '{"model":"archibot","input":"ping"}',
      });
      await res.arrayBuffer();
      // Set by the upstream's `request` listener while the request was in flight.
      const seen = atUpstream as { total: number; commands: string[] } | undefined;
      if (res.status !== 200 || !seen) throw new Error(`/v1/responses answered ${res.status}`);
      before.push(seen.total);
      total.push(counter.total);
      if (i === samples) {
        warmBefore = seen.commands;
        warmTotal = [...counter.commands];
      }
    }
  } finally {
    upstream.events.off('request', mark);
  }

  const warmModels = models.slice(1);
  return {
    models: { firstInWindow: models[0]!, warmMedian: median(warmModels), warmMax: Math.max(...warmModels), warmCommands: modelsWarmCommands },
    responses: {
      firstInWindow: { beforeUpstream: before[0]!, total: total[0]! },
      warmBeforeUpstreamMedian: median(before.slice(1)),
      warmBeforeUpstreamMax: Math.max(...before.slice(1)),
      warmTotalMedian: median(total.slice(1)),
      warmCommandsBeforeUpstream: warmBefore,
      warmCommandsTotal: warmTotal,
    },
    samples,
  };
}
