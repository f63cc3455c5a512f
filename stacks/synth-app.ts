import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, TerraformResource } from 'cdktf';
import { LOCAL_OVERRIDE_FILE, localOverride } from '../src/config/local-endpoint';
import type { SynthSettings } from '../src/config/settings';
import { HCL_CONFIGURATION_FILE, JSON_CONFIGURATION_FILE, removeStaleConfiguration } from '../src/hcl/configuration-files';
import { formatSuppressed, PolicyCheck } from '../src/policy/policy-check';
import { migrateLegacyState, ownStackFolder } from './stack-folder';
import { STACK_NAME, WebhookPipelineStack } from './webhook-pipeline-stack';

export interface SynthSummary {
  /** The stack folder Terraform runs in. */
  readonly stackDir: string;
  /** Where Terraform keeps the state (local backend), resolved; absent for Terraform Cloud. */
  readonly statePath?: string;
  readonly resourceCount: number;
  /** One line per violation a suppression accepted, with its reason. */
  readonly suppressed: readonly string[];
  /** State files moved out of the stack folder (0.1.0 kept the state there). */
  readonly migrated: readonly string[];
  /** Files synth did not write, removed from the stack folder. */
  readonly removed: readonly string[];
  /** The local AWS API the override points at, when `WEBHOOK_LOCAL_ENDPOINT` is set. */
  readonly localEndpoint?: string;
}

/** Synthesizes the app (`cdktf synth`'s app, `npm run synth`) and says what it wrote. */
export function synthApp(settings: SynthSettings): SynthSummary {
  const app = new App();
  const stackDir = path.join(app.outdir, 'stacks', STACK_NAME);
  const migrated = migrateLegacyState(stackDir, settings);
  const stack = new WebhookPipelineStack(app, STACK_NAME, { settings });
  app.synth();
  // `cdktf synth --hcl` writes cdk.tf, plain synth cdk.tf.json: keep only the one just written.
  removeStaleConfiguration(stackDir, app.hclOutput);
  const written = [app.hclOutput ? HCL_CONFIGURATION_FILE : JSON_CONFIGURATION_FILE];
  if (settings.localEndpoint && !app.hclOutput) {
    const json = JSON.parse(fs.readFileSync(path.join(stackDir, JSON_CONFIGURATION_FILE), 'utf8'));
    fs.writeFileSync(path.join(stackDir, LOCAL_OVERRIDE_FILE), `${JSON.stringify(localOverride(json, settings.localEndpoint), null, 2)}\n`);
    written.push(LOCAL_OVERRIDE_FILE);
  }
  const removed = ownStackFolder(stackDir, written);
  const report = PolicyCheck.of(stack)?.lastReport;
  return {
    stackDir,
    statePath: settings.backend.kind === 'local' ? path.resolve(stackDir, settings.backend.path) : undefined,
    resourceCount: stack.node.findAll().filter((c) => TerraformResource.isTerraformResource(c)).length,
    suppressed: (report?.suppressed ?? []).map(formatSuppressed),
    migrated,
    removed,
    localEndpoint: settings.localEndpoint,
  };
}
