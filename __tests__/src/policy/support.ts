/**
 * A real WebhookPipelineStack for the policy tests, with a stand-in handler bundle so that the
 * tests neither bundle the handlers nor depend on them compiling.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Testing } from 'cdktf';
import type { IConstruct } from 'constructs';
import type { HandlerBundle } from '../../../src/bundling/bundle-handler';
import { readSynthSettings } from '../../../src/config/settings';
import type { FunctionName } from '../../../src/contract';
import { PolicyViolationError, type PolicyViolation } from '../../../src/policy/policy-check';
import { STACK_NAME, WebhookPipelineStack } from '../../../stacks/webhook-pipeline-stack';

const FAKE_ZIP = path.join(os.tmpdir(), 'webhook-policy-test-handler.zip');

export function fakeBundle(name: FunctionName): HandlerBundle {
  if (!fs.existsSync(FAKE_ZIP)) fs.writeFileSync(FAKE_ZIP, 'stand-in for a handler zip');
  return { name, zipPath: FAKE_ZIP, sha256Hex: '0'.repeat(64), sha256Base64: `${'A'.repeat(43)}=`, sizeBytes: 26, reused: true };
}

export function policyTestStack(app: App = Testing.app()): WebhookPipelineStack {
  return new WebhookPipelineStack(app, STACK_NAME, { settings: readSynthSettings({}), bundle: fakeBundle });
}

/** The construct at `<stack>/<relativePath>`, e.g. `api/method-settings`. */
export function at<T extends IConstruct>(stack: WebhookPipelineStack, relativePath: string): T {
  const wanted = `${STACK_NAME}/${relativePath}`;
  const found = stack.node.findAll().find((c) => c.node.path === wanted);
  if (!found) throw new Error(`no construct at ${wanted}`);
  return found as T;
}

/** Synthesizes with `Testing.synth`; returns the policy violations it failed with (none if it passed). */
export function synthViolations(stack: WebhookPipelineStack): { violations: readonly PolicyViolation[]; message: string } {
  try {
    Testing.synth(stack);
    return { violations: [], message: '' };
  } catch (error) {
    if (error instanceof PolicyViolationError) return { violations: error.violations, message: error.message };
    throw error;
  }
}
