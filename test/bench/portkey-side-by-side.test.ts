import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portkeyTarget, startPortkey, type PortkeyGateway } from '../../bench/portkey';
import { summarizeRatios } from '../../bench/side-by-side';
import { startStandInUpstream, type StandInUpstream } from '../http/openai-relay/stand-in-upstream';

/**
 * The bench's side-by-side rows (issue 23 point 8) only mean something if Portkey really carries
 * the call to the same stand-in upstream and back: one request, no timing.
 */
describe('bench: the Portkey gateway beside Keywarden', () => {
  let upstream: StandInUpstream;
  let portkey: PortkeyGateway;

  beforeAll(async () => {
    upstream = await startStandInUpstream();
    portkey = await startPortkey();
  });

  afterAll(async () => {
    await portkey?.close();
    await upstream?.close();
  });

  it('listens on loopback only', () => {
    expect(portkey.host).toBe('127.0.0.1');
  });

  it('forwards POST /v1/responses to the stand-in upstream as the openai provider and relays its answer', async () => {
    const body = '{"model":"archibot","input":"ping"}';
    const target = portkeyTarget(portkey.url, upstream.baseUrl, 'up-portkey-test', body);
    const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body, signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { id: string; object: string; output: Array<{ content: Array<{ text: string }> }> };
    expect(answer.id).toBe('resp_standin0001');
    expect(answer.output[0]!.content[0]!.text).toBe('Stand-in upstream answer.');

    expect(upstream.requests).toHaveLength(1);
    const [seen] = upstream.requests;
    expect(seen!.method).toBe('POST');
    expect(seen!.url).toBe('/v1/responses');
    expect(seen!.headers.authorization).toBe('Bearer up-portkey-test');
    expect(JSON.parse(seen!.body.toString('utf8'))).toEqual(JSON.parse(body));
  });

  it('summarizes per-round ratios as median, min and max', () => {
    expect(summarizeRatios([1.5, 0.9, 1.2, 2.4, 1.1])).toEqual({ median: 1.2, min: 0.9, max: 2.4, perRound: [1.5, 0.9, 1.2, 2.4, 1.1] });
  });
});
