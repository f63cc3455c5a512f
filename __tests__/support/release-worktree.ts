import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * A released version's source checked out beside this one: a detached `git worktree` of the
 * release's commit, with this checkout's `node_modules` linked in (a release's dependencies are a
 * subset of today's), for tests that deploy a release and then today's code over it.
 */
export interface ReleaseWorktree {
  readonly commit: string;
  /** The worktree's root: run the release's `main.ts` from here. */
  readonly dir: string;
  /** Unlinks `node_modules` (never following it) and removes the worktree. Safe to call twice. */
  remove(): Promise<void>;
}

/** Retries a git command another agent's lock (`index.lock`, a worktree's lock) made fail. */
async function git(args: string[]): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await run('git', args, { cwd: ROOT });
      return;
    } catch (error) {
      const message = String((error as { stderr?: string }).stderr ?? (error as Error).message);
      if (attempt >= 10 || !/\.lock\b|locked/.test(message)) throw new Error(`git ${args.join(' ')} failed: ${message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/** `git worktree add --detach <dir> <commit>`, then `node_modules` linked to this checkout's. */
export async function addReleaseWorktree(commit: string, dir: string): Promise<ReleaseWorktree> {
  await git(['worktree', 'add', '--detach', dir, commit]);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  let removed = false;
  return {
    commit,
    dir,
    remove: async () => {
      if (removed) return;
      removed = true;
      const link = path.join(dir, 'node_modules');
      if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(link);
      await git(['worktree', 'remove', '--force', dir]);
    },
  };
}
