/**
 * When the local server stops: on SIGINT or SIGTERM, and — when npm (or npx) started it — when
 * the process that started it goes away. `npm start` runs the script through `sh -c`; npm
 * forwards SIGINT/SIGTERM to that shell, which dies without passing the signal on, so the server
 * would be left orphaned, holding the port. Being re-parented is how the server learns of it.
 */
export function onStopRequest(stop: (reason: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Only under a package runner: a server started directly (nohup, a supervisor) outlives the
  // shell that launched it on purpose.
  if (env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent process exited');
  }, 250).unref();
}
