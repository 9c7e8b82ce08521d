import type { SecretsProvider } from '../core/ports';

/**
 * The model behind /v1/responses: any OpenAI-compatible base URL, called with the platform's own
 * key from the secrets provider (never the caller's). The request body is forwarded byte for byte.
 */
export interface Upstream {
  readonly label: string;
  responses(body: string, signal: AbortSignal): Promise<Response>;
}

export class OpenAiCompatibleUpstream implements Upstream {
  readonly label = 'upstream';

  constructor(
    private readonly baseUrl: string,
    private readonly secrets: SecretsProvider,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async responses(body: string, signal: AbortSignal): Promise<Response> {
    const { apiKey } = await this.secrets.get<{ apiKey?: string }>('upstream');
    return this.fetchImpl(`${this.baseUrl.replace(/\/+$/, '')}/responses`, {
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
