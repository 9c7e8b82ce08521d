/**
 * Seed 000's three curl examples, copied verbatim. seed-curl.test.ts runs them with only the host
 * changed; the README walk-through shows them with `$BASE` for the host (test/docs checks it).
 */
export const SEED_HOST = 'https://chat.example.archibot.cloud';

export const SEED_RESPONSES = `curl https://chat.example.archibot.cloud/v1/responses \\
  -H "Authorization: Bearer $ARCHIBOT_API_KEY" \\
  -H "Content-Type: application/json" \\
  --data '{
    "model": "archibot",
    "input": "Summarize this Archibus request queue export."
  }'`;

export const SEED_STREAMED = `curl -N https://chat.example.archibot.cloud/v1/responses \\
  -H "Authorization: Bearer $ARCHIBOT_API_KEY" \\
  -H "Content-Type: application/json" \\
  --data '{
    "model": "archibot",
    "input": "Draft a short work plan for this Archibus data cleanup.",
    "stream": true
  }'`;

export const SEED_MODELS = `curl https://chat.example.archibot.cloud/v1/models \\
  -H "Authorization: Bearer $ARCHIBOT_API_KEY"`;
