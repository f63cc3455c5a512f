/**
 * A real WebhookPipelineStack with a stand-in handler bundle, for tests that need the whole stack
 * but neither bundle the handlers nor depend on them compiling (the API's bad-input suite).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Testing } from 'cdktf';
import type { HandlerBundle } from '../../../src/bundling/bundle-handler';
import { readSynthSettings } from '../../../src/config/settings';
import type { FunctionName } from '../../../src/contract';
import { STACK_NAME, WebhookPipelineStack } from '../../../stacks/webhook-pipeline-stack';

const FAKE_ZIP = path.join(os.tmpdir(), 'webhook-policy-test-handler.zip');

export function fakeBundle(name: FunctionName): HandlerBundle {
  if (!fs.existsSync(FAKE_ZIP)) fs.writeFileSync(FAKE_ZIP, 'stand-in for a handler zip');
  return { name, zipPath: FAKE_ZIP, sha256Hex: '0'.repeat(64), sha256Base64: `${'A'.repeat(43)}=`, sizeBytes: 26, reused: true };
}

export function policyTestStack(app: App = Testing.app()): WebhookPipelineStack {
  return new WebhookPipelineStack(app, STACK_NAME, { settings: readSynthSettings({}), bundle: fakeBundle });
}
