/** See dynalite-tuning.mjs. */
export function tuneDynalite(): void;
export function memoizeParser(parser: { parse: (str: string, options?: unknown) => unknown }, label: string): void;
