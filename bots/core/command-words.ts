/**
 * The words of a command line, before any command reads them (command-grammar.ts): quoting,
 * `--flag value` pairs, and the nearest known word for a "did you mean". Pure.
 */

/** Splits words into positionals and `--flag value` pairs; unknown or valueless flags are errors. */
export function splitFlags(
  tokens: string[],
  allowed: readonly string[],
): { ok: true; positional: string[]; flags: Record<string, string> } | { ok: false; message: string } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const flag = /^(?:--|[—–])([a-z][a-z-]*)(?:=(.*))?$/i.exec(token);
    if (!flag) {
      positional.push(token);
      continue;
    }
    const name = flag[1]!.toLowerCase();
    if (!allowed.includes(name)) {
      const hint = closest(name, allowed);
      return {
        ok: false,
        message: allowed.length === 0
          ? `This command takes no --${name.slice(0, 20)} option.`
          : `Unknown option --${name.slice(0, 20)}.${hint ? ` Did you mean --${hint}?` : ''} Options: ${allowed.map((a) => `--${a}`).join(', ')}.`,
      };
    }
    const value = flag[2] ?? tokens[++i];
    if (value === undefined || value === '') return { ok: false, message: `--${name} needs a value.` };
    flags[name] = value;
  }
  return { ok: true, positional, flags };
}

/**
 * Words, honouring "double", 'single' and “curly” quotes. Slack's formatting of a bare word
 * (`<mailto:x|x>`, `<http://x|x>`) is reduced to its label.
 */
export function tokenize(text: string): string[] {
  const cleaned = text.replace(/<(?:mailto:|https?:\/\/)[^|>]*\|([^>]*)>/g, '$1').trim();
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|“([^”]*)”|'([^']*)'|‘([^’]*)’|(\S+)/g;
  for (const m of cleaned.matchAll(pattern)) tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '');
  return tokens;
}

/** The candidate nearest `word`: within a small edit distance (2 at most), else the first that starts with it (3 letters or more). */
export function closest<T extends string>(word: string, candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.min(2, Math.max(1, Math.floor(best.length / 3)))) return best;
  if (word.length >= 3) return candidates.find((c) => c.startsWith(word));
  return undefined;
}

/** Damerau–Levenshtein (optimal string alignment): a swap of two letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
