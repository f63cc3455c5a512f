/**
 * `npm run build`: the publishable package in `lib/`. Compiles `src/` and `stacks/` with their
 * type declarations (tsconfig.build.json), then writes each handler's deterministic zip to
 * `lib/handlers/<name>.zip`, where `defaultBundle` finds it: an app that installs the package
 * deploys these zips and never needs esbuild.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleHandler } from '../src/bundling/bundle-handler';
import { FUNCTION_NAMES } from '../src/contract';

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

const started = Date.now();
fs.rmSync(LIB, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
fs.mkdirSync(path.join(LIB, 'handlers'));
for (const name of FUNCTION_NAMES) {
  const bundle = bundleHandler(name);
  fs.copyFileSync(bundle.zipPath, path.join(LIB, 'handlers', `${name}.zip`));
  console.log(`lib/handlers/${name}.zip  ${(bundle.sizeBytes / 1024).toFixed(1)} KB  sha256 ${bundle.sha256Hex.slice(0, 12)}…`);
}
console.log(`Built lib/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
