import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Testing } from 'cdktf';
import { bundleHandler, HandlerBundle } from '../../src/bundling/bundle-handler';
import { readSynthSettings, SynthSettings } from '../../src/config/settings';
import { STACK_NAME, WebhookPipelineStack } from '../../stacks/webhook-pipeline-stack';

export const LOCAL_SETTINGS: SynthSettings = readSynthSettings({});

/** Builds the stack in a test app; bundles are the real ones (cached between runs). */
export function buildStack(settings: SynthSettings = LOCAL_SETTINGS): WebhookPipelineStack {
  const app = Testing.app();
  return new WebhookPipelineStack(app, STACK_NAME, { settings, bundle: (name) => bundleHandler(name) });
}

/** Synthesizes the stack to Terraform JSON (as `Testing.synth` returns it) and parses it. */
export function synthJson(settings?: SynthSettings): { raw: string; json: any; stack: WebhookPipelineStack } {
  const stack = buildStack(settings);
  const raw = Testing.synth(stack);
  return { raw, json: JSON.parse(raw), stack };
}

/** Resources of one type, keyed by logical id. */
export function resourcesOf(json: any, type: string): Record<string, any> {
  return json.resource?.[type] ?? {};
}

/** Synthesizes the real app to a fresh directory, as `npm run synth` does, and returns the stack folder. */
export function synthToDirectory(settings: SynthSettings = LOCAL_SETTINGS): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-synth-'));
  const app = new App({ outdir });
  new WebhookPipelineStack(app, STACK_NAME, { settings });
  app.synth();
  return path.join(outdir, 'stacks', STACK_NAME);
}

export type { HandlerBundle };
