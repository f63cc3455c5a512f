/**
 * The real `WebhookPipelineStack`, synthesized in-process, as the docs' source for Terraform
 * variables and outputs. The handlers are not bundled: no part of a variable or an output depends
 * on a zip, and bundling would make the generator slow and write into `.build/`.
 */
import { Testing } from 'cdktf';
import type { HandlerBundle } from '../../src/bundling/handler-bundle';
import { readSynthSettings } from '../../src/config/settings';
import { STACK_NAME, WebhookPipelineStack } from '../../stacks/webhook-pipeline-stack';

/** A stand-in zip: Terraform would reject it, but the docs never reach Terraform. */
const placeholderBundle = (name: string): HandlerBundle => ({
  name,
  zipPath: __filename,
  sha256Hex: '0'.repeat(64),
  sha256Base64: 'A'.repeat(43) + '=',
  sizeBytes: 0,
  reused: true,
});

/** The synthesized Terraform JSON of the stack with default settings (no environment read). */
export function synthesizedStack(): any {
  const stack = new WebhookPipelineStack(Testing.app(), STACK_NAME, { settings: readSynthSettings({}), bundle: placeholderBundle });
  return JSON.parse(Testing.synth(stack));
}
