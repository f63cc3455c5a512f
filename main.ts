/**
 * The app: `npm run synth`, and `cdktf synth` through cdktf.json. Settings are read before the app's
 * modules load, so a bad one fails at once with one line naming it, and nothing is written.
 */
import * as path from 'node:path';
import { readSynthSettings, SettingError } from './src/config/settings';

function main(): void {
  const started = Date.now();
  const settings = readSynthSettings();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only once the settings are known good
  const { synthApp } = require('./stacks/synth-app') as typeof import('./stacks/synth-app');
  const summary = synthApp(settings);
  for (const line of summary.suppressed) console.warn(`policy: ${line}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `Synthesized ${summary.resourceCount} resources into ${path.relative(process.cwd(), summary.stackDir) || '.'} in ${seconds} s`,
  );
}

try {
  main();
} catch (error) {
  if (!(error instanceof SettingError)) throw error;
  console.error(error.message);
  process.exitCode = 2;
}
