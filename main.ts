/**
 * The app: `npm run synth`, and `cdktf synth` through cdktf.json, both by way of scripts/synth.js,
 * which runs it from a bundle rebuilt only when a source it bundled changes. Settings are read
 * before the app's modules load, so a bad one fails at once with one line naming it, and nothing is
 * written.
 */
import * as path from 'node:path';
import { readSynthSettings, SettingError } from './src/config/settings';

// cdktf records a stack trace for every token it creates: with Node's source maps on (esbuild-register,
// which tests and scripts still load this through, turns them on), each is mapped back to TypeScript,
// about a fifth of synth's time. What this app reports are messages naming what is wrong;
// NODE_OPTIONS=--enable-source-maps keeps the mapping (the cached bundle carries a source map).
// And it formats every one of those traces, though it shows them only when a token fails to
// resolve: those records (plain objects, never Errors) get an empty trace, each real Error the one
// Node would print. NODE_OPTIONS=--enable-source-maps keeps both as cdktf has them.
if (!/--enable-source-maps/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) {
  process.setSourceMapsEnabled(false);
  Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) =>
    error instanceof Error ? [`${error.name}: ${error.message}`, ...frames.map((frame) => `    at ${frame}`)].join('\n') : '';
}

const relative = (file: string) => path.relative(process.cwd(), file) || '.';

function main(): void {
  const started = Date.now();
  const settings = readSynthSettings();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only once the settings are known good
  const { synthApp } = require('./stacks/synth-app') as typeof import('./stacks/synth-app');
  const summary = synthApp(settings);
  for (const move of summary.migrated) console.log(`moved state out of the output folder: ${move}`);
  for (const file of summary.removed) console.log(`removed ${relative(file)}: synth did not write it, and Terraform would read it`);
  for (const line of summary.suppressed) console.warn(`policy: ${line}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Synthesized ${summary.resourceCount} resources into ${relative(summary.stackDir)} in ${seconds} s`);
  if (summary.statePath) console.log(`State: ${relative(summary.statePath)}`);
  if (summary.localEndpoint) console.log(`Local AWS API: ${summary.localEndpoint} (local_override.tf.json; fake credentials)`);
}

try {
  main();
} catch (error) {
  const name = error instanceof Error ? error.name : '';
  if (!(error instanceof SettingError) && name !== 'StackFolderError') throw error;
  console.error((error as Error).message);
  process.exitCode = 2;
}
