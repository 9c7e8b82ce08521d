import { requestTime } from '../core/ids';
import { callerOf, type SettlementSeen } from '../core/usage';
import type { Services } from '../services-core';
import { describeError } from './log-safe';
import type { RequestContext } from './request-context';
import type { UsageRecord } from '../core/types';
import type { CallUsage, HttpResponse } from './types';

/**
 * What happens after the answer, and what every answer of a model call says about money: the
 * usage record each authenticated call leaves, and the billing evidence headers.
 */

/**
 * Every authenticated call is a usage record (SPEC §4), written after the answer: the route's own
 * after-work (a gateway call's settlement) runs first and says what the call used; a write it left
 * in flight (a refund), the usage record and the call's daily counters (its key's and account's
 * day; the key's rides on a model call's settlement, or on the admission of a call that is not
 * one) then go out side by side — the usage record
 * in one BatchWriteItem with the owner record of a response the call stored (both asked for in
 * this turn: store/table-access.ts `putOwed`). A failed write is logged, never thrown: the answer
 * is sent.
 */
export function withUsageRecord(services: Services, ctx: RequestContext, route: string, response: HttpResponse): HttpResponse {
  const own = response.finish;
  const failed = (what: string, extra: Record<string, unknown> = {}) => (err: unknown) => services.logger.error(what, { route, ...extra, error: describeError(err) });
  response.finish = async (outcome) => {
    let used: CallUsage | void = undefined;
    // A model call's settlement made here counts the call in its key's day on the key's item
    // (core/usage.ts): the day the call was made, when its request id carries that time.
    const madeAt = timeOf(ctx.req.requestId);
    const settlement: SettlementSeen = madeAt === undefined ? {} : { madeAt };
    try {
      // A gateway call's after-work says what it used, and which deployment answered.
      used = await own?.(outcome, settlement);
    } catch (err) {
      failed('after-answer work failed')(err);
    }
    const { written, ...call } = used ?? { credits: 0 };
    // A key change's event is confirmed after the answer too (event-outbox.ts).
    // And the lease work this call started (a deferred removal, a balance re-read): key-lease.ts.
    const settled = Promise.all([written?.catch(failed('after-answer work failed')), services.events.settled()]).then(() =>
      services.store.leasesSettled().catch(failed('lease work left unfinished')),
    );
    const key = ctx.attributedTo;
    if (!key) {
      await settled;
      return call;
    }
    const model = (ctx.input.body as { model?: unknown } | undefined)?.model;
    const record: UsageRecord = {
      requestId: ctx.req.requestId,
      // When the call was made, which its id carries (the record's key is that time: listed, dated
      // and counted alike, by its admission too); else the settlement's time when it counted the call, else now.
      at: new Date(madeAt ?? settlement.at ?? services.clock.now()).toISOString(),
      projectId: key.projectId,
      accountId: key.accountId,
      keyId: key.id,
      route,
      status: response.status,
      ...(typeof model === 'string' && services.catalog.find(model) ? { model } : {}),
      ...call,
      // Who called (what an exposure report lists), bounded and redacted in the core.
      ...callerOf(ctx.req.sourceIp, ctx.req.headers['user-agent']),
    };
    const { recorded, counted } = services.usage.record(record, { countedOnKey: settlement.at !== undefined || ctx.countedOnAdmission, summed: key.accountDaysSummed === true });
    // A record the store would not take (throttled past the time it is retried for) is logged
    // whole, so the charge it explains is never lost: docs/operating.md "Records not written".
    await Promise.all([settled, recorded.catch(failed('usage record not written', { record })), counted.catch(failed('daily usage counters not written'))]);
    return call;
  };
  return response;
}

/** Epoch ms a request id says its call was made (core/ids.ts `mintRequestId`), if it says. */
function timeOf(requestId: string): number | undefined {
  const at = requestTime(requestId);
  return at === undefined ? undefined : Date.parse(at);
}

/** The billing evidence headers (`X-<Brand>-Request-Id`, `-Credits-Charged`, `-Credits-Remaining`). */
export function billingEvidence(services: Services, requestId: string, charged: number, remaining?: number): Record<string, string> {
  const brand = services.config.headerBrand.toLowerCase();
  return {
    [`x-${brand}-request-id`]: requestId,
    [`x-${brand}-credits-charged`]: String(charged),
    ...(remaining === undefined ? {} : { [`x-${brand}-credits-remaining`]: String(remaining) }),
  };
}

