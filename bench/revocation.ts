import { median, round } from './stats';

/**
 * Revocation takes effect the moment the revoke call returns (SPEC §8). Each trial keeps requests
 * with a key in flight from several loops, revokes it over /v1, and records every request by when
 * it was sent: one sent after the revoke call returned must be rejected (401 key_revoked), and the
 * time from the return to the first such rejection is reported (it is one request's latency).
 */
export interface RevocationFigures {
  trials: number;
  requestsSentAfterReturn: number;
  acceptedAfterReturn: number;
  nextRequestRejected: number;
  firstRejectionAfterReturnMs: { p50: number; max: number };
  revokeCallMs: { p50: number; max: number };
  acceptedWhileRevokeInFlight: number;
}

interface Sent {
  sentAt: number;
  doneAt: number;
  status: number;
}

export async function measureRevocation(options: {
  baseUrl: string;
  adminKey: string;
  trials: number;
  loops: number;
}): Promise<RevocationFigures> {
  const { baseUrl, adminKey } = options;
  const call = async (path: string, key: string, body?: unknown): Promise<Response> =>
    fetch(`${baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const send = async (key: string, i: number): Promise<Sent> => {
    const sentAt = performance.now();
    const res = i % 2 === 0 ? await call('/v1/models', key) : await call('/v1/responses', key, { model: 'archibot', input: 'revocation probe' });
    await res.arrayBuffer();
    return { sentAt, doneAt: performance.now(), status: res.status };
  };

  let sentAfter = 0;
  let acceptedAfter = 0;
  let nextRejected = 0;
  let acceptedDuring = 0;
  const firstRejection: number[] = [];
  const revokeMs: number[] = [];

  for (let t = 0; t < options.trials; t++) {
    // The admin key's own rate limit: a key may neither mint nor revoke a key wider than itself (SPEC §3).
    const created = await call('/v1/keys', adminKey, { name: `bench revocation ${t}`, type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 } });
    if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}`);
    const { id, key } = (await created.json()) as { id: string; key: string };
    await (await call('/v1/models', key)).arrayBuffer();

    const log: Sent[] = [];
    let stop = false;
    let returnedAt = Number.POSITIVE_INFINITY;
    const afterReturn = new Array<number>(options.loops).fill(0);
    const started = new Array<number>(options.loops).fill(0);
    let allStarted!: () => void;
    const running = new Promise<void>((resolve) => (allStarted = resolve));
    const loops = Array.from({ length: options.loops }, async (_, loop) => {
      for (let i = loop; !stop; i++) {
        const s = await send(key, i);
        log.push(s);
        if (++started[loop]! === 1 && started.every((n) => n > 0)) allStarted();
        if (s.sentAt >= returnedAt) afterReturn[loop]! += 1;
        if (afterReturn.every((n) => n >= 2)) stop = true;
      }
    });
    await running;

    const revokeStart = performance.now();
    const revoked = await call(`/v1/keys/${id}/revoke`, adminKey, {});
    await revoked.arrayBuffer();
    returnedAt = performance.now();
    if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
    revokeMs.push(returnedAt - revokeStart);
    const probe = await send(key, 0);
    log.push(probe);
    if (probe.status === 401) nextRejected += 1;
    await Promise.all(loops);

    const after = log.filter((s) => s.sentAt >= returnedAt);
    sentAfter += after.length;
    acceptedAfter += after.filter((s) => s.status === 200).length;
    acceptedDuring += log.filter((s) => s.sentAt < returnedAt && s.doneAt > revokeStart && s.status === 200).length;
    const rejections = after.filter((s) => s.status === 401).map((s) => s.doneAt - returnedAt);
    if (rejections.length > 0) firstRejection.push(Math.min(...rejections));
  }

  return {
    trials: options.trials,
    requestsSentAfterReturn: sentAfter,
    acceptedAfterReturn: acceptedAfter,
    nextRequestRejected: nextRejected,
    firstRejectionAfterReturnMs: { p50: round(median(firstRejection)), max: round(Math.max(...firstRejection)) },
    revokeCallMs: { p50: round(median(revokeMs)), max: round(Math.max(...revokeMs)) },
    acceptedWhileRevokeInFlight: acceptedDuring,
  };
}
