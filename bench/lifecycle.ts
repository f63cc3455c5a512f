/**
 * What the bench started, it stops: the process groups of running commands are killed if the
 * bench exits early, and cleanups (the moto server, the delivery target) run on Ctrl-C or SIGTERM,
 * within a bounded time, before it exits.
 */

const groups = new Set<number>();
const cleanups = new Set<() => Promise<void>>();
const CLEANUP_TIMEOUT_MS = 10_000;

/** Tracks a detached child's process group; call the returned function once it has exited. */
export function trackGroup(pgid: number): () => void {
  groups.add(pgid);
  return () => groups.delete(pgid);
}

/** Registers an async cleanup for an interrupted run; returns its unregister function. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

process.once('exit', () => groups.forEach(killGroup));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n[bench] ${signal}: stopping what the bench started\n`);
    const deadline = new Promise((resolve) => setTimeout(resolve, CLEANUP_TIMEOUT_MS).unref());
    void Promise.race([Promise.allSettled([...cleanups].map((cleanup) => cleanup())), deadline]).finally(() => process.exit(130));
  });
}
