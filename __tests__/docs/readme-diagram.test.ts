import * as fs from 'node:fs';
import * as path from 'node:path';
import { architectureDiagram, currentDiagram } from '../../src/diagram/architecture-diagram';
import { synthJson } from '../support/stack';

const README = path.resolve(__dirname, '..', '..', 'README.md');

describe('README architecture diagram', () => {
  test('matches the diagram of a fresh synth (run `npm run diagram` to update it)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(currentDiagram(readme)).toBe(architectureDiagram(synthJson().json));
  });

  test('sits under "## Architecture"', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const architecture = readme.indexOf('## Architecture');
    const start = readme.indexOf('<!-- diagram:start -->');
    expect(architecture).toBeGreaterThanOrEqual(0);
    expect(start).toBeGreaterThan(architecture);
    expect(readme.slice(architecture, start)).not.toMatch(/\n## /);
  });
});
