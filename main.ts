import * as path from 'node:path';
import { App } from 'cdktf';
import { readSynthSettings } from './src/config/settings';
import { removeStaleConfiguration } from './src/hcl/configuration-files';
import { formatSuppressed, PolicyCheck } from './src/policy/policy-check';
import { STACK_NAME, WebhookPipelineStack } from './stacks/webhook-pipeline-stack';

// Settings are read before the App exists, so a bad one fails synth before anything is written.
const settings = readSynthSettings();
const app = new App();
const stack = new WebhookPipelineStack(app, STACK_NAME, { settings });
app.synth();
// `cdktf synth --hcl` writes cdk.tf, plain synth cdk.tf.json: keep only the one just written.
removeStaleConfiguration(path.join(app.outdir, 'stacks', STACK_NAME), app.hclOutput);
// Every accepted violation is listed on every synth, with its reason.
for (const suppressed of PolicyCheck.of(stack)?.lastReport?.suppressed ?? []) console.warn(`policy: ${formatSuppressed(suppressed)}`);
