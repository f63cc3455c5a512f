/**
 * `npm run diagram`: redraws the architecture diagram in README.md from the synthesized JSON.
 *
 * Reads cdktf.out/stacks/webhook-pipeline/cdk.tf.json, synthesizing it first when it is missing or
 * older than the code that produces it, and rewrites the block between the diagram markers.
 * With `--check` it changes nothing and exits 1 when the README's diagram is stale.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { architectureDiagram, currentDiagram, replaceDiagram } from '../src/diagram/architecture-diagram';
import { JSON_CONFIGURATION_FILE } from '../src/hcl/configuration-files';
import { STACK_NAME } from '../stacks/webhook-pipeline-stack';

const ROOT = path.resolve(__dirname, '..');
const README = path.join(ROOT, 'README.md');
const SYNTHESIZED = path.join(ROOT, 'cdktf.out', 'stacks', STACK_NAME, JSON_CONFIGURATION_FILE);
/** What the synthesized JSON is made from (the handlers' code changes assets, not the diagram). */
const SOURCES = ['main.ts', 'stacks', 'src'].map((p) => path.join(ROOT, p));

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  if (entry.endsWith(path.join('src', 'handlers'))) return 0;
  return Math.max(0, ...fs.readdirSync(entry).map((child) => newestMtime(path.join(entry, child))));
}

if (!fs.existsSync(SYNTHESIZED) || fs.statSync(SYNTHESIZED).mtimeMs < Math.max(...SOURCES.map(newestMtime))) {
  console.log('Synthesizing first (npm run synth) …');
  execFileSync(process.execPath, ['scripts/synth.js'], { cwd: ROOT, stdio: 'inherit' });
}

const diagram = architectureDiagram(JSON.parse(fs.readFileSync(SYNTHESIZED, 'utf8')));
const readme = fs.readFileSync(README, 'utf8');
if (currentDiagram(readme) === diagram) {
  console.log('README.md: the architecture diagram is up to date.');
} else if (process.argv.includes('--check')) {
  console.error('README.md: the architecture diagram is stale; run `npm run diagram`.');
  process.exit(1);
} else {
  fs.writeFileSync(README, replaceDiagram(readme, diagram));
  console.log('README.md: architecture diagram regenerated.');
}
