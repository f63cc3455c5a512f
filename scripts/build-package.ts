/**
 * `npm run build`: the publishable package in `lib/`. Compiles `src/` and `stacks/` with their
 * type declarations (tsconfig.build.json), writes the CDK Terrain copy of that tree to
 * `lib/cdktn/` (the same code with its module names rewritten: scripts/lib/framework-rewrite.ts),
 * then each handler's deterministic zip to `lib/handlers/<name>.zip`, where `defaultBundle` finds
 * it from either tree: an app that installs the package deploys these zips and never needs esbuild.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleHandler } from '../src/bundling/bundle-handler';
import { FUNCTION_NAMES } from '../src/contract';
import { loadsCdktf, rewriteForCdkTerrain, setsFrameworkMarker } from './lib/framework-rewrite';

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');
const COMPILED_TREES = ['src', 'stacks'];
const CDK_TERRAIN_TREE = path.join(LIB, 'cdktn');

const started = Date.now();
fs.rmSync(LIB, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });

let files = 0;
let specifiers = 0;
let markers = 0;
for (const tree of COMPILED_TREES) {
  for (const relative of fs.readdirSync(path.join(LIB, tree), { recursive: true, encoding: 'utf8' })) {
    const from = path.join(LIB, tree, relative);
    if (!fs.statSync(from).isFile()) continue;
    const { text, rewritten } = rewriteForCdkTerrain(fs.readFileSync(from, 'utf8'));
    if (loadsCdktf(text)) throw new Error(`lib/cdktn/${tree}/${relative} still loads a CDKTF package after the rewrite`);
    if (from.endsWith('.js') && setsFrameworkMarker(fs.readFileSync(from, 'utf8'))) markers += 1;
    const to = path.join(CDK_TERRAIN_TREE, tree, relative);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, text);
    files += 1;
    specifiers += rewritten;
  }
}
// The marker is set once, in src/framework/framework.ts: without it the CDK Terrain tree would call itself CDKTF.
if (markers !== 1) throw new Error(`expected one framework marker in the compiled tree, found ${markers}`);
console.log(`lib/cdktn/  ${files} files, ${specifiers} module names rewritten for CDK Terrain`);

fs.mkdirSync(path.join(LIB, 'handlers'));
for (const name of FUNCTION_NAMES) {
  const bundle = bundleHandler(name);
  fs.copyFileSync(bundle.zipPath, path.join(LIB, 'handlers', `${name}.zip`));
  console.log(`lib/handlers/${name}.zip  ${(bundle.sizeBytes / 1024).toFixed(1)} KB  sha256 ${bundle.sha256Hex.slice(0, 12)}…`);
}
console.log(`Built lib/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
