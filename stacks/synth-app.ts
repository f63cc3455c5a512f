import * as path from 'node:path';
import { App, TerraformResource } from 'cdktf';
import type { SynthSettings } from '../src/config/settings';
import { removeStaleConfiguration } from '../src/hcl/configuration-files';
import { formatSuppressed, PolicyCheck } from '../src/policy/policy-check';
import { STACK_NAME, WebhookPipelineStack } from './webhook-pipeline-stack';

export interface SynthSummary {
  /** The stack folder Terraform runs in. */
  readonly stackDir: string;
  readonly resourceCount: number;
  /** One line per violation a suppression accepted, with its reason. */
  readonly suppressed: readonly string[];
}

/** Synthesizes the app (`cdktf synth`'s app, `npm run synth`) and says what it wrote. */
export function synthApp(settings: SynthSettings): SynthSummary {
  const app = new App();
  const stack = new WebhookPipelineStack(app, STACK_NAME, { settings });
  app.synth();
  const stackDir = path.join(app.outdir, 'stacks', STACK_NAME);
  // `cdktf synth --hcl` writes cdk.tf, plain synth cdk.tf.json: keep only the one just written.
  removeStaleConfiguration(stackDir, app.hclOutput);
  const report = PolicyCheck.of(stack)?.lastReport;
  return {
    stackDir,
    resourceCount: stack.node.findAll().filter((c) => TerraformResource.isTerraformResource(c)).length,
    suppressed: (report?.suppressed ?? []).map(formatSuppressed),
  };
}
