/**
 * The external coworker setup script (seed 000): exports the OpenAI-compatible variables and the
 * brand's coworker variables, then runs a sample call. Without a fresh key it carries a placeholder.
 */
export const KEY_PLACEHOLDER = '<new-api-key>';

export function setupScript(options: { baseUrl: string; brand: string; modelId: string; key?: string }): string {
  // The brand is a variable-name part: letters and digits only (config.ts), whatever reaches here.
  const brand = options.brand.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const body = JSON.stringify({ model: options.modelId, input: 'Say hello to your new external coworker.' });
  return [
    `export OPENAI_BASE_URL=${shellQuote(options.baseUrl)}`,
    `export OPENAI_API_KEY=${shellQuote(options.key ?? KEY_PLACEHOLDER)}`,
    `export ${brand}_BASE_URL="$OPENAI_BASE_URL"`,
    `export ${brand}_API_KEY="$OPENAI_API_KEY"`,
    `curl -s "$${brand}_BASE_URL/responses" \\`,
    `  -H "Authorization: Bearer $${brand}_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  --data ${shellQuote(body)}`,
    '',
  ].join('\n');
}

/**
 * One shell word whatever the text: single quotes, inside which the shell expands nothing, and
 * each `'` as `'\''`. Values that need no quoting keep the double quotes people expect to see.
 */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_.:/<>@%+=,-]*$/.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
