import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { zipSync } from 'fflate';
import { describeZip, HandlerBundle } from '../../src/bundling/handler-bundle';

/** A small real zip, for building blocks that only need a handler asset. */
export function tinyBundle(name = 'test'): HandlerBundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-bundle-'));
  const zipPath = path.join(dir, `${name}.zip`);
  fs.writeFileSync(
    zipPath,
    zipSync({ 'index.js': new TextEncoder().encode('exports.handler = async () => ({ batchItemFailures: [] });') }),
  );
  return describeZip(name, zipPath, false);
}

/** A user's stack: a test app, an AWS provider and nothing else. */
export function bareStack(id = 'app'): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  return stack;
}

/** Resources of one type in a synthesized stack, as a list. */
export const resourcesOfType = (json: any, type: string): any[] => Object.values(json.resource?.[type] ?? {});
