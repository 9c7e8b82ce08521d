import type { SecretsProvider } from '../core/ports';

/** The upstream endpoints the gateway forwards to (OpenAI's paths, relative to the base URL). */
export type UpstreamPath = '/responses' | '/chat/completions';

/**
 * The model behind /v1/responses and /v1/chat/completions: any OpenAI-compatible base URL, called
 * with the platform's own key from the secrets provider (never the caller's). The gateway hands
 * over the request body as it should reach the upstream (the caller's, with the mapped model).
 */
export interface Upstream {
  readonly label: string;
  forward(path: UpstreamPath, body: string, signal: AbortSignal): Promise<Response>;
}

export class OpenAiCompatibleUpstream implements Upstream {
  readonly label = 'upstream';

  constructor(
    private readonly baseUrl: string,
    private readonly secrets: SecretsProvider,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async forward(path: UpstreamPath, body: string, signal: AbortSignal): Promise<Response> {
    const { apiKey } = await this.secrets.get<{ apiKey?: string }>('upstream');
    return this.fetchImpl(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body,
      signal,
    });
  }
}
