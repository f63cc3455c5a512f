import * as fs from 'node:fs';
import * as path from 'node:path';
import { checked, runCommand, stats, type Stats } from './measure';
import { providerImports } from './synth';

/**
 * Where `npm run synth`'s time goes: synth-phases-child.ts takes main.ts's steps one at a time in
 * a fresh process, run as main.ts is (from its cached bundle, by scripts/synth.js); this runs it
 * once per round of the synth bench and takes medians per phase, with Node's source maps on
 * (NODE_OPTIONS=--enable-source-maps, as when debugging) and off (as `npm run synth` runs), to show
 * what they cost.
 */

export const PHASES = ['startup', 'cdktfAndProvider', 'projectModules', 'construct', 'policy', 'synth'] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABELS: Record<Phase, string> = {
  startup: 'node + scripts/synth.js start-up (cache check, loading the bundle)',
  cdktfAndProvider: "require('cdktf') + deep provider imports",
  projectModules: 'our modules (evaluated from the cached bundle)',
  construct: 'construct the stack (bundle cache check included)',
  policy: 'app.synth(): the policy check (once, on the resolved configuration)',
  synth: 'app.synth(): resolve and write',
};

export interface PhasesResult {
  readonly sourceMaps: 'on' | 'off';
  readonly phasesMs: Record<Phase, Stats>;
  readonly totalMs: Stats;
}

const SOURCE_MAPS = ['on', 'off'] as const;

export interface PhaseSampler {
  /** Runs the child once per setting; the first call only warms up. */
  sampleRound(): Promise<void>;
  results(): PhasesResult[];
}

/** Sampled round by round, between the synth variants' runs, so the same load hits all of them alike. */
export function createPhaseSampler(root: string, outdir: string): PhaseSampler {
  const samples = new Map(SOURCE_MAPS.map((setting) => [setting, [] as Record<Phase, number>[]]));
  let warm = false;
  return {
    async sampleRound() {
      fs.mkdirSync(outdir, { recursive: true });
      for (const setting of SOURCE_MAPS) {
        const result = checked(
          'synth phases',
          await runCommand('node', [path.join(root, 'scripts', 'synth.js'), path.join(__dirname, 'synth-phases-child.ts')], {
            cwd: root,
            env: {
              ...process.env,
              CHECKPOINT_DISABLE: '1',
              CDKTF_OUTDIR: outdir,
              BENCH_SOURCE_MAPS: setting,
              NODE_OPTIONS: setting === 'on' ? `${process.env.NODE_OPTIONS ?? ''} --enable-source-maps`.trim() : process.env.NODE_OPTIONS,
              BENCH_PROVIDER_MODULES: JSON.stringify(providerImports(root)),
            },
            timeoutMs: 120_000,
          }),
        );
        const match = /BENCH_PHASES=(\{.*\})/.exec(result.output);
        if (!match) throw new Error(`synth phases printed no timings:\n${result.output}`);
        if (warm) samples.get(setting)!.push(JSON.parse(match[1]) as Record<Phase, number>);
      }
      warm = true;
    },
    results: () =>
      SOURCE_MAPS.map((setting) => {
        const runsOf = samples.get(setting)!;
        const phasesMs = Object.fromEntries(PHASES.map((phase) => [phase, stats(runsOf.map((sample) => sample[phase]))])) as Record<
          Phase,
          Stats
        >;
        return {
          sourceMaps: setting,
          phasesMs,
          totalMs: stats(runsOf.map((sample) => PHASES.reduce((sum, phase) => sum + sample[phase], 0))),
        };
      }),
  };
}
