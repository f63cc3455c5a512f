import * as fs from 'node:fs';
import * as path from 'node:path';

/** What `cdktf synth` writes into a stack folder, and what `cdktf synth --hcl` writes instead. */
export const JSON_CONFIGURATION_FILE = 'cdk.tf.json';
export const HCL_CONFIGURATION_FILE = 'cdk.tf';

/**
 * Terraform reads every `*.tf` and `*.tf.json` of a folder, so a `cdk.tf.json` left by an earlier
 * JSON synth beside a fresh `cdk.tf` (or the other way round) declares every resource twice, and
 * cdktf does not clean up after itself. Removes the other format's file; returns its path if one
 * was there.
 */
export function removeStaleConfiguration(stackDir: string, hclOutput: boolean): string | undefined {
  const stale = path.join(stackDir, hclOutput ? JSON_CONFIGURATION_FILE : HCL_CONFIGURATION_FILE);
  if (!fs.existsSync(stale)) return undefined;
  fs.rmSync(stale);
  return stale;
}
