/**
 * The one lazy cold build of a bot Lambda: nothing is read or built at module load (the
 * environment is only parsed there); the first invocation reads the secrets and builds the bot,
 * and every later invocation of the warm instance reuses it. A build that fails (a secret not
 * readable yet, or malformed) is not cached: the next invocation tries again, so a secret fixed
 * after deploy is picked up without a new instance.
 */
export function coldBuild<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () =>
    (built ??= build().catch((err: unknown) => {
      built = undefined;
      throw err;
    }));
}
