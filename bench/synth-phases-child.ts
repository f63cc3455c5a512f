/* eslint-disable @typescript-eslint/no-require-imports -- each require is a phase, timed on its own */
export {}; // a module, not a script: its names stay its own

/**
 * Run by bench/synth-phases.ts as `node -r esbuild-register bench/synth-phases-child.ts`: main.ts's
 * steps one at a time, printing how long each took. It imports nothing at the top, so its start-up
 * phase is node and the esbuild-register preload alone. `BENCH_SOURCE_MAPS=off` first turns off
 * the Node source-map support esbuild-register enables; `BENCH_PROVIDER_MODULES` lists the deep
 * provider imports to load in the second phase. Time inside aspects' `visit` is reported apart
 * from the rest of `app.synth()`.
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
const { App, Aspects } = require('cdktf') as typeof import('cdktf');
for (const module of JSON.parse(process.env.BENCH_PROVIDER_MODULES ?? '[]') as string[]) require(module);
lap('cdktfAndProvider');
const { readSynthSettings } = require('../src/config/settings') as typeof import('../src/config/settings');
const { STACK_NAME, WebhookPipelineStack } =
  require('../stacks/webhook-pipeline-stack') as typeof import('../stacks/webhook-pipeline-stack');
lap('projectModules');
const app = new App();
new WebhookPipelineStack(app, STACK_NAME, { settings: readSynthSettings() });
lap('construct');
// Time spent inside aspects (such as a policy check) is told apart from the rest of app.synth().
let aspectsMs = 0;
const wrapped = new Set<object>();
for (const construct of app.node.findAll()) {
  for (const aspect of Aspects.of(construct).all) {
    if (wrapped.has(aspect)) continue;
    wrapped.add(aspect);
    const visit = aspect.visit.bind(aspect);
    aspect.visit = (node) => {
      const started = performance.now();
      try {
        visit(node);
      } finally {
        aspectsMs += performance.now() - started;
      }
    };
  }
}
app.synth();
lap('synth');
phases.aspects = aspectsMs;
phases.synth -= aspectsMs;
process.stdout.write(`BENCH_PHASES=${JSON.stringify(phases)}\n`);
