/**
 * The external coworker setup script (seed 000): exports the OpenAI-compatible variables and the
 * brand's coworker variables, then runs a sample call. Without a fresh key it carries a placeholder.
 */
export const KEY_PLACEHOLDER = '<new-api-key>';

export function setupScript(options: { baseUrl: string; brand: string; modelId: string; key?: string }): string {
  const brand = options.brand.toUpperCase();
  const body = JSON.stringify({ model: options.modelId, input: 'Say hello to your new external coworker.' });
  return [
    `export OPENAI_BASE_URL="${options.baseUrl}"`,
    `export OPENAI_API_KEY="${options.key ?? KEY_PLACEHOLDER}"`,
    `export ${brand}_BASE_URL="$OPENAI_BASE_URL"`,
    `export ${brand}_API_KEY="$OPENAI_API_KEY"`,
    `curl -s "$${brand}_BASE_URL/responses" \\`,
    `  -H "Authorization: Bearer $${brand}_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  --data '${body}'`,
    '',
  ].join('\n');
}
