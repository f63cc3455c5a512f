import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_STATE_PATH, LEGACY_STATE_PATH, type SynthSettings } from '../src/config/settings';

/**
 * The stack folder (`cdktf.out/stacks/webhook-pipeline`) belongs to synth: Terraform reads every
 * configuration and variables file in it, so a file synth did not write — a leftover
 * `local_override.tf.json`, a `terraform.tfvars` — would silently change what a later deploy does.
 * State lives outside it (see settings.ts), and a state left there by 0.1.0 is moved out first.
 */

/** What Terraform reads from its working directory besides `.terraform/`. */
const TERRAFORM_READS = /(\.tf|\.tf\.json|\.tfvars|\.tfvars\.json)$/;
/** Terraform's own working files, kept: providers, the lock file, a lock on local state. */
const TERRAFORM_OWN = new Set(['.terraform', '.terraform.lock.hcl', '.terraform.tfstate.lock.info']);
const STATE_FILE = /\.tfstate(\.backup)?$|^terraform\.tfstate\.d$/;

export class StackFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackFolderError';
  }
}

/**
 * Moves a 0.1.0 state file (inside the stack folder) to where the state lives now, with its
 * backup, before synth runs: `rm -rf cdktf.out` must never delete state. Also forgets Terraform's
 * cached backend settings (`.terraform/terraform.tfstate`, not state) so the next `init` takes the
 * new path without asking to migrate. Returns the moves made, as `from → to` lines.
 */
export function migrateLegacyState(stackDir: string, settings: SynthSettings): string[] {
  if (settings.backend.kind !== 'local' || settings.backend.path !== DEFAULT_STATE_PATH) return [];
  const legacy = path.join(stackDir, LEGACY_STATE_PATH);
  if (!fs.existsSync(legacy)) return [];
  const target = path.resolve(stackDir, DEFAULT_STATE_PATH);
  if (fs.existsSync(target)) {
    throw new StackFolderError(
      `state found in two places: ${legacy} (where 0.1.0 kept it) and ${target}. Nothing was changed. ` +
        `Keep the one that holds your deployment (terraform show -json <file>), move the other away, then synth again.`,
    );
  }
  const moves: string[] = [];
  for (const suffix of ['', '.backup']) {
    if (!fs.existsSync(legacy + suffix)) continue;
    fs.renameSync(legacy + suffix, target + suffix);
    moves.push(`${legacy + suffix} → ${target + suffix}`);
  }
  fs.rmSync(path.join(stackDir, '.terraform', 'terraform.tfstate'), { force: true });
  return moves;
}

/**
 * Removes every configuration or variables file synth did not write (`written`: names in the
 * stack folder), and refuses, changing nothing, when the folder holds a state file: state is
 * never deleted, and never left where `rm -rf cdktf.out` would. Returns the removed paths.
 */
export function ownStackFolder(stackDir: string, written: readonly string[]): string[] {
  const entries = fs.existsSync(stackDir) ? fs.readdirSync(stackDir) : [];
  const state = entries.filter((name) => STATE_FILE.test(name));
  if (state.length > 0) {
    throw new StackFolderError(
      `${stackDir} holds state (${state.join(', ')}), which synth would not own or keep safe. Nothing was removed. ` +
        `Move it beside the output folder (the project root for cdktf.out) or point WEBHOOK_STATE_PATH at it, then synth again.`,
    );
  }
  const stale = entries.filter((name) => TERRAFORM_READS.test(name) && !written.includes(name) && !TERRAFORM_OWN.has(name));
  for (const name of stale) fs.rmSync(path.join(stackDir, name), { force: true });
  return stale.map((name) => path.join(stackDir, name));
}
