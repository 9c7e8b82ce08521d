import { buildSync } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's build: src/main.tsx (preact) bundled and minified by esbuild, in memory, in well
 * under a second, synchronously. The local server serves the result from memory (built once per process); the
 * CDK console stack writes it to a folder for S3 (`writeConsole`); the bench weighs it.
 */
export interface ConsoleBundle {
  html: string;
  js: string;
  css: string;
}

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * The page's Content-Security-Policy: scripts, styles and calls from its own origin only; no
 * inline script or style, no frames, no plugins, forms post nowhere else.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers of every console file (the page adds its CSP); CloudFront's response headers policy says the same. */
export const CONSOLE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

export const CONSOLE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;

export function buildConsole(): ConsoleBundle {
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['src/main.tsx'],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    write: false,
    outdir: 'out',
    entryNames: 'app',
    logLevel: 'silent',
  });
  const text = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { html: readFileSync(join(ROOT, 'index.html'), 'utf8'), js: text('.js'), css: text('.css') };
}

let built: ConsoleBundle | undefined;
/** Built once per process (synchronous, so a CDK construct can build it during synthesis). */
export function consoleBundle(): ConsoleBundle {
  built ??= buildConsole();
  return built;
}

/** The console as the local server serves it (lambdas/local/console-files.ts `ConsoleSite`): handed in by whoever starts one. */
export const CONSOLE_SITE = { files: CONSOLE_FILES, csp: CONSOLE_CSP, headers: CONSOLE_HEADERS, bundle: consoleBundle };

/** Writes the console's files into `dir` (for S3), as `dir/console/<file>`; returns `dir`. */
export function writeConsole(dir: string): string {
  const bundle = consoleBundle();
  mkdirSync(join(dir, 'console'), { recursive: true });
  writeFileSync(join(dir, 'console', 'index.html'), bundle.html);
  writeFileSync(join(dir, 'console', 'app.js'), bundle.js);
  writeFileSync(join(dir, 'console', 'app.css'), bundle.css);
  return dir;
}
