import { createHash } from 'node:crypto';

/**
 * The local model's embeddings (local-model.ts, `/embeddings`): deterministic vectors in OpenAI's
 * shape, so the official SDKs and LangChain's `OpenAIEmbeddings` work offline.
 *
 * A vector is the feature hashing of its input: each word (or token id) stands for a pseudo-random
 * direction drawn from a hash of the model and the word, and the input's vector is the sum of its
 * words' directions, weighted by how often each occurs, normalized to length 1. So the same input
 * always gives the same vector, and texts that share words are nearer (by cosine) than texts that
 * share none — enough for a retrieval demo to rank something sensible offline. It knows no meaning.
 *
 * `dimensions` shortens a vector as OpenAI does: the first `dimensions` values, normalized again
 * (a word's direction is drawn value by value, so a shorter vector is a prefix of the longer one).
 * Values are float32 (what OpenAI's base64 carries), so the float and base64 answers agree exactly.
 *
 * Nothing an answer carries comes from the input's text (only the upstream model name and numbers),
 * so it is not run through `redactKeys`, which could otherwise alter base64 text.
 */

/** OpenAI's native sizes: `text-embedding-3-large` has 3072 dimensions; its other models, 1536. */
export function nativeDimensions(model: string): number {
  return /text-embedding-3-large/.test(model) ? 3072 : 1536;
}

/**
 * Most values (inputs × dimensions) one local answer computes: 1,000 inputs of 1536 dimensions (the
 * batch LangChain's Python OpenAIEmbeddings sends) and a little more. A float answer costs ~20
 * bytes of JSON a value, so this bounds one answer near 32 MB: the local stack is one process, and
 * a few hostile calls at OpenAI's own bound (2048 × 3072) would hold gigabytes at once.
 */
export const MAX_LOCAL_EMBEDDING_VALUES = 1_600_000;

type Input = string | number[];

/** The `/embeddings` answer to a request body, or OpenAI's error shape for one it cannot embed. */
export function embeddingsAnswer(request: Record<string, unknown>, fallbackModel: string): Response {
  const model = typeof request.model === 'string' ? request.model : fallbackModel;
  const inputs = inputsOf(request.input);
  if (!inputs) return invalid('input must be a non-empty string, a list of them, a list of token ids, or a list of token id lists.', 'input');
  const asked = request.dimensions;
  if (asked !== undefined && asked !== null && !(Number.isInteger(asked) && (asked as number) > 0)) return invalid('dimensions must be a positive whole number.', 'dimensions');
  const dimensions = typeof asked === 'number' ? asked : nativeDimensions(model);
  if (inputs.length * dimensions > MAX_LOCAL_EMBEDDING_VALUES) {
    return invalid(`The local model computes at most ${MAX_LOCAL_EMBEDDING_VALUES} values an answer (inputs × dimensions).`, 'input');
  }
  const format = request.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') return invalid('encoding_format must be float or base64.', 'encoding_format');

  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    const tokens = tokensOf(input);
    promptTokens += tokens.length;
    const vector = embed(model, tokens, dimensions);
    return { object: 'embedding', index, embedding: format === 'base64' ? base64Of(vector) : Array.from(vector) };
  });
  const body = { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

/** The inputs of any of OpenAI's four forms, or undefined when `input` is none of them (or empty). */
function inputsOf(input: unknown): Input[] | undefined {
  const isTokens = (value: unknown): value is number[] =>
    Array.isArray(value) && value.length > 0 && value.every((t) => Number.isInteger(t) && (t as number) >= 0);
  if (typeof input === 'string') return input ? [input] : undefined;
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (isTokens(input)) return [input];
  if (input.every((item) => typeof item === 'string' && item.length > 0)) return input as string[];
  if (input.every(isTokens)) return input as number[][];
  return undefined;
}

/** An input's tokens: its words in lower case (the text itself when it has none), or its token ids. */
function tokensOf(input: Input): string[] {
  if (Array.isArray(input)) return input.map((id) => `#${id}`);
  const words = input.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  return words && words.length > 0 ? words : [input];
}

/** The unit vector of `tokens`: each distinct token's direction times its count, summed and normalized. */
function embed(model: string, tokens: string[], dimensions: number): Float32Array {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  const sum = new Float64Array(dimensions);
  for (const [token, count] of counts) {
    const next = directionOf(model, token);
    for (let i = 0; i < dimensions; i++) sum[i]! += count * next();
  }
  let norm = 0;
  for (const value of sum) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) vector[i] = sum[i]! / norm;
  return vector;
}

/**
 * A token's direction, value by value: xoshiro128** seeded with the SHA-256 of the model and the
 * token, each value uniform in [-1, 1). Deterministic across processes and platforms.
 */
function directionOf(model: string, token: string): () => number {
  const seed = createHash('sha256').update(model).update('\0').update(token).digest();
  let a = seed.readUInt32LE(0) | 1;
  let b = seed.readUInt32LE(4);
  let c = seed.readUInt32LE(8);
  let d = seed.readUInt32LE(12);
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return (result / 2 ** 32) * 2 - 1;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A vector as OpenAI's base64: its float32 values, little-endian, whatever the host's byte order. */
function base64Of(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

function invalid(message: string, param: string): Response {
  return Response.json({ error: { message, type: 'invalid_request_error', code: null, param } }, { status: 400 });
}
