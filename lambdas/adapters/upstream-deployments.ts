import type { Config } from '../config';
import type { DeploymentRoutes } from '../core/model-call';
import type { UpstreamDeployment } from '../core/models';
import type { Clock, Log, UpstreamPath } from '../core/ports';
import { FirstByteTimeout, OpenAiCompatibleUpstream } from './upstream';
import type { UpstreamKeys } from './upstream-keys';

/**
 * A catalog model's upstream deployments, tried in order (docs/gateway.md, "More than one
 * upstream"). An attempt fails when the deployment cannot be reached, sends no first byte (status
 * line and headers) within its share of the time, or answers 429 or 5xx; the next is tried then.
 * Any other answer ends the call's routing — a 2xx above all: once its headers arrived the answer
 * is this deployment's, so a stream that started is never retried anywhere else.
 *
 * Time: the call's signal aborts at its upstream timeout, whatever the attempts. Each attempt but
 * the last waits for its first byte at most UPSTREAM_ATTEMPT_TIMEOUT_MS, else the time left shared
 * by the deployments left (60 s over two: 30 s each); the last gets all that is left.
 *
 * Cool-down, per process: a deployment that failed `coolDownFailures` times in a row is skipped
 * for `coolDownMs` (the calls go to the others, none waits on it); when every deployment of a
 * model is cooling down they are all tried anyway, in order — a call is never refused untried.
 * After the cool-down, one more failure skips it again; one success clears its count.
 */
export class UpstreamDeployments implements DeploymentRoutes {
  /** One adapter (one keep-alive agent) per deployment name, built on first use. */
  private readonly upstreams = new Map<string, OpenAiCompatibleUpstream>();
  private readonly health = new Map<string, { failures: number; coolUntil: number }>();

  constructor(
    private readonly deps: {
      keys: UpstreamKeys;
      clock: Clock;
      logger: Log;
      settings: Config['upstreams'];
      /** Tests: every deployment's requests through this `fetch`. */
      fetchImpl?: typeof fetch;
    },
  ) {}

  async forward(
    deployments: readonly UpstreamDeployment[],
    path: UpstreamPath,
    body: (deployment: UpstreamDeployment) => string,
    signal: AbortSignal,
    options: { stream: boolean; timeoutMs: number },
  ): Promise<{ answer: Response; deployment: UpstreamDeployment }> {
    const deadline = performance.now() + options.timeoutMs;
    const { settings } = this.deps;
    return this.tryInOrder(
      deployments,
      (upstream, deployment, left, last) => {
        const remaining = Math.max(1, deadline - performance.now());
        const firstByteMs = last ? undefined : Math.min(settings.attemptTimeoutMs ?? remaining / left, remaining);
        return upstream.forward(path, body(deployment), signal, { stream: options.stream, firstByteMs });
      },
      signal,
    );
  }

  /**
   * The adapter of a deployment that answered before (by its name, as the call's outcome names
   * it): a background response it created is watched where it lives. Undefined for a name it has
   * not built.
   */
  built(name: string): OpenAiCompatibleUpstream | undefined {
    return this.upstreams.get(name);
  }

  /**
   * The deployment's adapter, built on first use: where what it stores (a stored response, a
   * conversation) is read, continued, cancelled and deleted — on any instance, not only the one
   * whose call created it.
   */
  at(deployment: UpstreamDeployment): OpenAiCompatibleUpstream {
    return this.upstream(deployment);
  }

  /**
   * The routes of a call pinned to one deployment (it holds the stored response or conversation
   * the call continues): only that one is tried, whatever its cool-down, and its failure is the
   * call's — another deployment never saw what the call continues.
   */
  only(name: string): DeploymentRoutes {
    return { forward: (deployments, path, body, signal, options) => this.forward(deployments.filter((d) => d.name === name), path, body, signal, options) };
  }

  /**
   * A call that is not a model call but creates what a deployment then keeps (a conversation):
   * tried in the deployments' order with the same failures moving it on (no connection, 429,
   * 5xx) and the same cool-down; no first-byte bound per attempt (the call's signal bounds all).
   */
  inOrder(
    deployments: readonly UpstreamDeployment[],
    send: (upstream: OpenAiCompatibleUpstream) => Promise<Response>,
    signal: AbortSignal,
  ): Promise<{ answer: Response; deployment: UpstreamDeployment }> {
    return this.tryInOrder(deployments, (upstream) => send(upstream), signal);
  }

  /**
   * The one fallback loop, for model calls and what creates stored objects alike: each deployment
   * not cooling down in order (`left` of them still to try, `last` when no other follows or the
   * call is over); a throw, a 429 or a 5xx counts against it and moves on, any other answer is the
   * call's. The last attempt's failure is the answer (or the throw).
   */
  private async tryInOrder(
    deployments: readonly UpstreamDeployment[],
    send: (upstream: OpenAiCompatibleUpstream, deployment: UpstreamDeployment, left: number, last: boolean) => Promise<Response>,
    signal: AbortSignal,
  ): Promise<{ answer: Response; deployment: UpstreamDeployment }> {
    const order = this.order(deployments);
    const { logger } = this.deps;
    for (const [i, deployment] of order.entries()) {
      const left = order.length - i;
      const last = left === 1 || signal.aborted;
      let answer: Response;
      try {
        answer = await send(this.upstream(deployment), deployment, left, last);
      } catch (err) {
        this.failed(deployment);
        if (last || signal.aborted) throw err;
        logger.warn('upstream deployment failed, trying the next', { deployment: deployment.name, error: errorName(err) });
        continue;
      }
      if (!isFailure(answer.status)) {
        this.succeeded(deployment);
        return { answer, deployment };
      }
      this.failed(deployment);
      if (last || signal.aborted) return { answer, deployment };
      // The failed answer is dropped (its connection freed), never relayed.
      await answer.body?.cancel().catch(() => undefined);
      logger.warn('upstream deployment failed, trying the next', { deployment: deployment.name, upstreamStatus: answer.status });
    }
    // Unreachable: `order` is never empty (a model lists at least one deployment).
    throw new Error('no upstream deployment to try');
  }

  /** The deployments not cooling down, in their order; all of them when every one is. */
  order(deployments: readonly UpstreamDeployment[]): readonly UpstreamDeployment[] {
    const now = this.deps.clock.now();
    const ready = deployments.filter((d) => (this.health.get(d.name)?.coolUntil ?? 0) <= now);
    return ready.length > 0 ? ready : deployments;
  }

  private failed(deployment: UpstreamDeployment): void {
    const { coolDownFailures, coolDownMs } = this.deps.settings;
    const state = this.health.get(deployment.name) ?? { failures: 0, coolUntil: 0 };
    state.failures += 1;
    if (coolDownFailures > 0 && state.failures >= coolDownFailures) {
      state.coolUntil = this.deps.clock.now() + coolDownMs;
      this.deps.logger.warn('upstream deployment cooling down', { deployment: deployment.name, failures: state.failures, coolDownMs });
    }
    this.health.set(deployment.name, state);
  }

  private succeeded(deployment: UpstreamDeployment): void {
    this.health.delete(deployment.name);
  }

  private upstream(deployment: UpstreamDeployment): OpenAiCompatibleUpstream {
    let upstream = this.upstreams.get(deployment.name);
    if (!upstream) {
      upstream = new OpenAiCompatibleUpstream(deployment.baseUrl, this.deps.keys.sourceFor(deployment), this.deps.fetchImpl);
      this.upstreams.set(deployment.name, upstream);
    }
    return upstream;
  }
}

/** What moves a call to the next deployment: the deployment busy (429) or broken (5xx). */
function isFailure(status: number): boolean {
  return status === 429 || status >= 500;
}

function errorName(err: unknown): string {
  if (err instanceof FirstByteTimeout) return 'first byte timeout';
  return err instanceof Error ? (((err as NodeJS.ErrnoException).code as string | undefined) ?? err.name) : 'unknown';
}
