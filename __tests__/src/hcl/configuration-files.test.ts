import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HCL_CONFIGURATION_FILE, JSON_CONFIGURATION_FILE, removeStaleConfiguration } from '../../../src/hcl/configuration-files';

describe('removeStaleConfiguration', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-config-files-'));
    fs.writeFileSync(path.join(dir, JSON_CONFIGURATION_FILE), '{}');
    fs.writeFileSync(path.join(dir, HCL_CONFIGURATION_FILE), '');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('an HCL synth removes the JSON left by an earlier synth', () => {
    expect(removeStaleConfiguration(dir, true)).toBe(path.join(dir, JSON_CONFIGURATION_FILE));
    expect(fs.readdirSync(dir)).toEqual([HCL_CONFIGURATION_FILE]);
  });

  test('a JSON synth removes the HCL left by an earlier synth', () => {
    expect(removeStaleConfiguration(dir, false)).toBe(path.join(dir, HCL_CONFIGURATION_FILE));
    expect(fs.readdirSync(dir)).toEqual([JSON_CONFIGURATION_FILE]);
  });

  test('nothing to remove: nothing happens', () => {
    fs.rmSync(path.join(dir, HCL_CONFIGURATION_FILE));
    expect(removeStaleConfiguration(dir, false)).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([JSON_CONFIGURATION_FILE]);
  });
});
