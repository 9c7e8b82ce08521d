import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StandInUpstream } from '../test/http/openai-relay/stand-in-upstream';
import type { DynamoWire } from '../lambdas/adapters/dynamodb-wire';
import { median } from './stats';

/**
 * Blocking DynamoDB round trips per request, counted where they leave the process: a middleware in
 * the SDK client's `deserialize` step (once per HTTP exchange, retries included, for the plain and
 * the document client alike: they share one middleware stack), and an interceptor on the hot
 * path's transport (dynamodb-wire.ts), whose calls say what they are for.
 */
export interface RoundTripCounter {
  total: number;
  /** Wall time spent inside DynamoDB calls (overlapping calls add up). */
  ms: number;
  commands: string[];
  /**
   * Per call (aligned with `commands`): made by a response's after-answer work? Settlement and
   * usage-record writes are (and a key change's event confirmation, over the same transport); so
   * is nothing else on the warm paths measured here (a settlement that must charge more than its
   * reservation reads through the SDK and would count as before). Calls no request made
   * (`elsewhere`) are marked so too.
   */
  afterAnswer: boolean[];
  /** Wall time inside calls on the critical path (not after the answer). */
  msBeforeAnswer: number;
  /** Each call's start and end (performance.now()), in start order. */
  spans: [number, number][];
  reset(): void;
}

/** The two ways the services reach DynamoDB. */
export interface DynamoPaths {
  dynamo: DynamoDBClient;
  dynamoWire: DynamoWire;
}

/** Calls on the critical path: all but those made after the answer was sent. */
export function beforeAnswer(counter: RoundTripCounter, from = 0, to = counter.commands.length): number {
  return counter.afterAnswer.slice(from, to).filter((after) => !after).length;
}

/**
 * Sequential round trips among `spans`: calls that overlap in time wait together, so a batch of
 * calls in flight at once costs one round-trip time on the critical path.
 */
export function sequentialSteps(spans: readonly [number, number][]): number {
  return overlapping(spans).length;
}

/** `spans` merged where they overlap, in time order: each stretch one round-trip time. */
function overlapping(spans: readonly [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [start, stop] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && start < last[1]) last[1] = Math.max(last[1], stop);
    else merged.push([start, stop]);
  }
  return merged;
}

/**
 * Puts an emulated network round trip in front of every DynamoDB call (`delay.ms`, 0 = off), so
 * the calls on the critical path show as they will against DynamoDB in-region, whatever dynalite
 * itself costs on this machine. Install after the counter: the counter then times dynalite alone.
 */
export function emulateStorageRoundTrip(paths: DynamoPaths): EmulatedRoundTrip {
  const delay: EmulatedRoundTrip = { ms: 0, waits: [] };
  // setTimeout keeps whole-millisecond time: a 3 ms wait lasts 2–4 ms, so each one is timed.
  const wait = async () => {
    if (delay.ms <= 0) return;
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, delay.ms));
    delay.waits.push(performance.now() - start);
  };
  paths.dynamo.middlewareStack.add(
    (next) => async (args) => {
      await wait();
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchEmulatedRoundTrip', priority: 'low' },
  );
  paths.dynamoWire.intercept(async (_call, next) => {
    await wait();
    return next();
  });
  return delay;
}

export interface EmulatedRoundTrip {
  /** The delay put in front of each call (0 = off). */
  ms: number;
  /** Each delay as it lasted. */
  waits: number[];
}

/**
 * The stretches of time during which at least one call on the critical path was in flight (calls
 * side by side count once), in order: at concurrency 1, one per request's round trip, which is
 * how long the storage itself (timed inside any emulated delay) held that request up.
 */
export function criticalStorageWalls(counter: RoundTripCounter): number[] {
  return overlapping(counter.spans.filter((_, i) => !counter.afterAnswer[i]))
    .map(([start, stop]) => stop - start)
    .filter((wall) => wall > 0);
}

/**
 * `elsewhere`: true while the call being made is no request's work at all — the local stack's
 * event relay, which in AWS is another function (the table's stream): counted, but after the
 * answers, whenever it happens to run.
 */
export function countRoundTrips(paths: DynamoPaths, options: { elsewhere?: () => boolean } = {}): RoundTripCounter {
  const elsewhere = options.elsewhere ?? (() => false);
  const counter: RoundTripCounter = {
    total: 0,
    ms: 0,
    commands: [],
    afterAnswer: [],
    msBeforeAnswer: 0,
    spans: [],
    reset() {
      counter.total = 0;
      counter.ms = 0;
      counter.msBeforeAnswer = 0;
      counter.commands = [];
      counter.afterAnswer = [];
      counter.spans = [];
    },
  };
  const timed = async <T>(command: string, after: boolean, call: () => Promise<T>): Promise<T> => {
    counter.total += 1;
    counter.commands.push(command);
    counter.afterAnswer.push(after);
    const start = performance.now();
    const span: [number, number] = [start, Infinity];
    counter.spans.push(span);
    try {
      return await call();
    } finally {
      span[1] = performance.now();
      counter.ms += span[1] - start;
      if (!after) counter.msBeforeAnswer += span[1] - start;
    }
  };
  paths.dynamo.middlewareStack.add(
    (next, context) => (args) => timed(String(context.commandName ?? 'unknown').replace(/Command$/, ''), elsewhere(), () => next(args)),
    { step: 'deserialize', name: 'benchRoundTripCounter', priority: 'high' },
  );
  paths.dynamoWire.intercept((call, next) => timed(call.operation, call.purpose === 'settle' || call.purpose === 'usage' || elsewhere(), next));
  return counter;
}

export interface RoundTripFigures {
  /** Calls made before the answer; the rest (the usage record) after it. */
  models: { firstInWindow: number; warmMedian: number; warmMax: number; warmAfterAnswerMedian: number; warmCommands: string[] };
  responses: {
    firstInWindow: { beforeUpstream: number; total: number };
    warmBeforeUpstreamMedian: number;
    warmBeforeUpstreamMax: number;
    /** Sequential round trips before the upstream (calls in flight together count once). */
    warmBeforeUpstreamStepsMedian: number;
    /** Calls between the upstream's answer and the client's (none: settlement waits for the answer to be sent). */
    warmBeforeAnswerAfterUpstreamMedian: number;
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
  /** Resolves once every request's after-answer work is done (LocalStack.idle). */
  idle: () => Promise<void>;
}): Promise<RoundTripFigures> {
  const { baseUrl, counter, upstream, samples } = options;

  const models: number[] = [];
  const modelsAfter: number[] = [];
  let modelsWarmCommands: string[] = [];
  for (let i = 0; i <= samples; i++) {
    counter.reset();
    const res = await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${options.modelsKey}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/v1/models answered ${res.status}`);
    await options.idle();
    models.push(beforeAnswer(counter));
    modelsAfter.push(counter.total - beforeAnswer(counter));
    if (i === samples) modelsWarmCommands = [...counter.commands];
  }

  let atUpstream: { total: number; commands: string[]; steps: number } | undefined;
  const mark = () => (atUpstream = { total: counter.total, commands: [...counter.commands], steps: sequentialSteps(counter.spans) });
  upstream.events.on('request', mark);
  const before: number[] = [];
  const steps: number[] = [];
  const upstreamToAnswer: number[] = [];
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
      await options.idle();
      const answered = beforeAnswer(counter);
      // Set by the upstream's `request` listener while the request was in flight.
      const seen = atUpstream as { total: number; commands: string[]; steps: number } | undefined;
      if (res.status !== 200 || !seen) throw new Error(`/v1/responses answered ${res.status}`);
      before.push(seen.total);
      steps.push(seen.steps);
      upstreamToAnswer.push(answered - seen.total);
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
    models: {
      firstInWindow: models[0]!,
      warmMedian: median(warmModels),
      warmMax: Math.max(...warmModels),
      warmAfterAnswerMedian: median(modelsAfter.slice(1)),
      warmCommands: modelsWarmCommands,
    },
    responses: {
      firstInWindow: { beforeUpstream: before[0]!, total: total[0]! },
      warmBeforeUpstreamMedian: median(before.slice(1)),
      warmBeforeUpstreamMax: Math.max(...before.slice(1)),
      warmBeforeUpstreamStepsMedian: median(steps.slice(1)),
      warmBeforeAnswerAfterUpstreamMedian: median(upstreamToAnswer.slice(1)),
      warmTotalMedian: median(total.slice(1)),
      warmCommandsBeforeUpstream: warmBefore,
      warmCommandsTotal: warmTotal,
    },
    samples,
  };
}
