import { createHash } from 'node:crypto';

/**
 * A bot Lambda's build, kept only as long as the secrets it was built from (issue 12: a rotated
 * bot token, signing secret or viewer key reaches warm instances without a redeploy).
 *
 * Every invocation reads the secrets through the cached provider (Powertools Parameters in AWS,
 * `maxAge` ≤ 300 s: an in-memory read while fresh, one GetSecretValue per secret after), and
 * compares a digest of the values with the ones the current build was made from: the same →
 * the warm build is reused; different → the bot is built again from the new values, so a
 * rotated value is in use at most one cache period after the rotation.
 *
 * Nothing is read or built at module load. A read or build that fails is not kept: with a build
 * already made, that build goes on serving (a Secrets Manager hiccup does not take the bot
 * down); without one, the invocation fails and the next one tries again.
 */
export function freshBuild<S, T>(read: () => Promise<S>, build: (secrets: S) => Promise<T> | T): () => Promise<T> {
  let current: { digest: string; built: Promise<T> } | undefined;
  return async () => {
    let secrets: S;
    try {
      secrets = await read();
    } catch (err) {
      if (current) return current.built;
      throw err;
    }
    const digest = createHash('sha256').update(JSON.stringify(secrets)).digest('hex');
    if (current?.digest === digest) return current.built;
    const previous = current;
    const built = Promise.resolve().then(() => build(secrets));
    current = { digest, built };
    try {
      return await built;
    } catch (err) {
      if (current?.built === built) current = previous;
      throw err;
    }
  };
}
