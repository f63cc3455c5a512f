/**
 * The stack folder belongs to synth, and state never lives in it: a 0.1.0 state is moved out
 * (or synth refuses, changing nothing, when both places hold one), and files Terraform would read
 * that synth did not write are removed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSynthSettings } from '../../src/config/settings';
import { migrateLegacyState, ownStackFolder, StackFolderError } from '../../stacks/stack-folder';

const project = () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-project-'));
  const stackDir = path.join(root, 'cdktf.out', 'stacks', 'webhook-pipeline');
  fs.mkdirSync(path.join(stackDir, '.terraform', 'providers'), { recursive: true });
  return { root, stackDir };
};
const write = (file: string, content = '{}') => fs.writeFileSync(file, content);

describe('migrateLegacyState', () => {
  test("moves 0.1.0's state and backup to the project root and forgets the cached backend, keeping providers", () => {
    const { root, stackDir } = project();
    write(path.join(stackDir, 'terraform.webhook-pipeline.tfstate'), '{"serial":7}');
    write(path.join(stackDir, 'terraform.webhook-pipeline.tfstate.backup'), '{"serial":6}');
    write(path.join(stackDir, '.terraform', 'terraform.tfstate'), '{"backend":{}}');
    const moves = migrateLegacyState(stackDir, readSynthSettings({}));
    expect(moves).toHaveLength(2);
    expect(fs.readFileSync(path.join(root, 'terraform.webhook-pipeline.tfstate'), 'utf8')).toBe('{"serial":7}');
    expect(fs.readFileSync(path.join(root, 'terraform.webhook-pipeline.tfstate.backup'), 'utf8')).toBe('{"serial":6}');
    expect(fs.existsSync(path.join(stackDir, 'terraform.webhook-pipeline.tfstate'))).toBe(false);
    expect(fs.existsSync(path.join(stackDir, '.terraform', 'terraform.tfstate'))).toBe(false);
    expect(fs.existsSync(path.join(stackDir, '.terraform', 'providers'))).toBe(true);
  });

  test('refuses, changing nothing, when both places hold state', () => {
    const { root, stackDir } = project();
    write(path.join(stackDir, 'terraform.webhook-pipeline.tfstate'), 'old');
    write(path.join(root, 'terraform.webhook-pipeline.tfstate'), 'new');
    expect(() => migrateLegacyState(stackDir, readSynthSettings({}))).toThrow(StackFolderError);
    expect(() => migrateLegacyState(stackDir, readSynthSettings({}))).toThrow(/state found in two places: .* Nothing was changed/);
    expect(fs.readFileSync(path.join(stackDir, 'terraform.webhook-pipeline.tfstate'), 'utf8')).toBe('old');
    expect(fs.readFileSync(path.join(root, 'terraform.webhook-pipeline.tfstate'), 'utf8')).toBe('new');
  });

  test('does nothing with no legacy state, or with a state path of your own or Terraform Cloud', () => {
    const { stackDir } = project();
    expect(migrateLegacyState(stackDir, readSynthSettings({}))).toEqual([]);
    write(path.join(stackDir, 'terraform.webhook-pipeline.tfstate'));
    expect(migrateLegacyState(stackDir, readSynthSettings({ WEBHOOK_STATE_PATH: 'mine.tfstate' }))).toEqual([]);
    expect(migrateLegacyState(stackDir, readSynthSettings({ TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'prod' }))).toEqual([]);
    expect(fs.existsSync(path.join(stackDir, 'terraform.webhook-pipeline.tfstate'))).toBe(true);
  });
});

describe('ownStackFolder', () => {
  test('removes configuration and variables files synth did not write; keeps what it wrote and Terraform’s own files', () => {
    const { stackDir } = project();
    for (const name of [
      'cdk.tf.json',
      'local_override.tf.json',
      'extra.tf',
      'terraform.tfvars',
      'prod.auto.tfvars.json',
      '.terraform.lock.hcl',
      'notes.txt',
    ]) {
      write(path.join(stackDir, name));
    }
    const removed = ownStackFolder(stackDir, ['cdk.tf.json'])
      .map((file) => path.basename(file))
      .sort();
    expect(removed).toEqual(['extra.tf', 'local_override.tf.json', 'prod.auto.tfvars.json', 'terraform.tfvars']);
    expect(fs.readdirSync(stackDir).sort()).toEqual(['.terraform', '.terraform.lock.hcl', 'cdk.tf.json', 'notes.txt']);
  });

  test('keeps an override synth wrote this time', () => {
    const { stackDir } = project();
    write(path.join(stackDir, 'local_override.tf.json'));
    expect(ownStackFolder(stackDir, ['cdk.tf.json', 'local_override.tf.json'])).toEqual([]);
  });

  test.each(['terraform.tfstate', 'terraform.webhook-pipeline.tfstate.backup', 'terraform.tfstate.d'])(
    'refuses, removing nothing, when the folder holds state (%s)',
    (name) => {
      const { stackDir } = project();
      write(path.join(stackDir, 'stale_override.tf.json'));
      if (name.endsWith('.d')) fs.mkdirSync(path.join(stackDir, name));
      else write(path.join(stackDir, name));
      expect(() => ownStackFolder(stackDir, ['cdk.tf.json'])).toThrow(
        new RegExp(`holds state \\(${name.replace(/\./g, '\\.')}\\).*Nothing was removed`),
      );
      expect(fs.existsSync(path.join(stackDir, 'stale_override.tf.json'))).toBe(true);
    },
  );

  test('a stack folder that does not exist yet is fine', () => {
    expect(ownStackFolder(path.join(os.tmpdir(), 'no-such-webhook-stack-folder'), [])).toEqual([]);
  });
});
