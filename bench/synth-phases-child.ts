/* eslint-disable @typescript-eslint/no-require-imports -- each require is a phase, timed on its own */
export {}; // a module, not a script: its names stay its own

/**
 * Run by bench/synth-phases.ts as `node scripts/synth.js bench/synth-phases-child.ts`, so from a
 * cached bundle as main.ts is: main.ts's steps one at a time, printing how long each took. It
 * imports nothing at the top, so its start-up phase is node, the launcher's cache check and loading
 * the bundle; its requires of our modules evaluate them from the bundle. `BENCH_SOURCE_MAPS=off`
 * turns Node's source maps off as main.ts does (they are on only when NODE_OPTIONS asks);
 * `BENCH_PROVIDER_MODULES` lists the deep provider imports to load in the second phase. Time inside
 * the policy check is reported apart from the rest of `app.synth()`.
 */

const startup = performance.now(); // since the process started
const phases: Record<string, number> = { startup };
let last = startup;
const lap = (phase: string) => {
  const now = performance.now();
  phases[phase] = now - last;
  last = now;
};

if (process.env.BENCH_SOURCE_MAPS === 'off') process.setSourceMapsEnabled(false);
const { App } = require('cdktf') as typeof import('cdktf');
for (const module of JSON.parse(process.env.BENCH_PROVIDER_MODULES ?? '[]') as string[]) require(module);
lap('cdktfAndProvider');
const { readSynthSettings } = require('../src/config/settings') as typeof import('../src/config/settings');
const { STACK_NAME, WebhookPipelineStack } =
  require('../stacks/webhook-pipeline-stack') as typeof import('../stacks/webhook-pipeline-stack');
// Time inside the policy check is told apart from the rest of app.synth(): it runs inside the
// stack's toTerraform, on the configuration cdktf resolved once.
const { PolicyCheck } = require('../src/policy/policy-check') as typeof import('../src/policy/policy-check');
let policyMs = 0;
const prototype = PolicyCheck.prototype as unknown as { enforce: (config: unknown) => void };
const enforce = prototype.enforce;
prototype.enforce = function (this: unknown, config: unknown) {
  const started = performance.now();
  try {
    enforce.call(this, config);
  } finally {
    policyMs += performance.now() - started;
  }
};
lap('projectModules');
const app = new App();
new WebhookPipelineStack(app, STACK_NAME, { settings: readSynthSettings() });
lap('construct');
app.synth();
lap('synth');
phases.policy = policyMs;
phases.synth -= policyMs;
process.stdout.write(`BENCH_PHASES=${JSON.stringify(phases)}\n`);
