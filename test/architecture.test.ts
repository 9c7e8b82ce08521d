import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the house (issue 20), checked on every run: the layers import downwards only, no
 * module imports itself round a circle, and no source file grows past what one reader holds.
 *
 *   bin, lib          may import anything below
 *   bots              lambdas (the typed client, core); never bin, lib or console
 *   console           the typed client (lambdas/http/client.ts) and plain core values; never bots, bin or lib
 *   lambdas           never bots, console, bin or lib
 *   lambdas/core      only lambdas/core: ports in, no adapter, no HTTP, no configuration
 */
const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['lambdas', 'bots', 'console', 'bin', 'lib', 'bench'];
const MAX_LINES = 450;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, base, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)));
const graph = new Map(
  files.map((file) => {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => resolveImport(file, m[1] ?? m[2]!)).filter((t): t is string => !!t);
    return [relative(ROOT, file), [...new Set(targets.map((t) => relative(ROOT, t)))]] as const;
  }),
);

const FORBIDDEN: Array<{ from: RegExp; to: RegExp; why: string }> = [
  { from: /^lambdas\//, to: /^(bots|console|bin|lib)\//, why: 'lambdas/ is the lower layer' },
  { from: /^lambdas\/core\//, to: /^(?!lambdas\/core\/)/, why: 'the core takes ports, not adapters, HTTP or configuration' },
  { from: /^bots\//, to: /^(console|bin|lib)\//, why: 'bots sit on the API client and the core' },
  { from: /^console\//, to: /^(bots|bin|lib)\/|^lambdas\/(?!http\/client\.ts$|core\/)/, why: 'the console knows the API only through the typed client' },
];

describe('the house', () => {
  it('found the source files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get('lambdas/http/api.ts')?.length).toBeGreaterThan(0);
  });

  it('no import runs back up a layer', () => {
    const wrong = [...graph].flatMap(([file, targets]) =>
      FORBIDDEN.flatMap((rule) => (rule.from.test(file) ? targets.filter((t) => rule.to.test(t)).map((t) => `${file} → ${t} (${rule.why})`) : [])),
    );
    expect(wrong).toEqual([]);
  });

  it('no import circle', () => {
    // Tarjan's strongly connected components: any component of more than one file is a circle.
    let index = 0;
    const stack: string[] = [];
    const on = new Set<string>();
    const indexOf = new Map<string, number>();
    const low = new Map<string, number>();
    const circles: string[][] = [];
    const visit = (v: string) => {
      indexOf.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!indexOf.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
      if (low.get(v) === indexOf.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1) circles.push(component.sort());
      }
    };
    for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
    expect(circles).toEqual([]);
  });

  it(`no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines}`);
    expect(long).toEqual([]);
  });
});
