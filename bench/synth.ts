import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checked, runCommand, stats, type Stats } from './measure';

/**
 * Synthesis, our way and the stock CDKTF way, measured in one interleaved session so the ratios
 * hold on a noisy machine. Every variant writes to its own temporary output directory, never to
 * the project's `cdktf.out`.
 */

export interface SynthVariant {
  readonly key: string;
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Set for variants that synthesize: their output directory. */
  readonly outdir?: string;
}

export interface VariantResult {
  readonly key: string;
  readonly label: string;
  readonly wallMs: Stats;
  readonly peakRssKb?: Stats;
  readonly cpuMs?: Stats;
  /** SHA-256 of `cdk.tf.json` after each run (synthesizing variants only). */
  readonly jsonSha256: readonly string[];
}

export interface SynthResult {
  readonly variants: readonly VariantResult[];
  readonly providerModules: readonly string[];
  /** Every run of `npm run synth`'s command wrote the same bytes. */
  readonly deterministic: boolean;
  /** Every synthesizing variant, ours and stock, wrote the same bytes. */
  readonly sameJsonEverywhere: boolean;
  /** No handler zip or cache manifest was rewritten during the timed runs. */
  readonly bundlesReused: boolean;
}

const RUN_TIMEOUT_MS = 180_000;

/** The deep `@cdktf/provider-aws/lib/<resource>` imports of the stack and its constructs. */
export function providerImports(root: string): string[] {
  const found = new Set<string>();
  const scan = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) scan(file);
      else if (entry.name.endsWith('.ts')) {
        for (const match of fs.readFileSync(file, 'utf8').matchAll(/['"](@cdktf\/provider-aws\/lib\/[\w-]+)['"]/g)) found.add(match[1]);
      }
    }
  };
  for (const dir of ['stacks', 'src']) scan(path.join(root, dir));
  return [...found].sort();
}

export function synthVariants(root: string, outRoot: string): SynthVariant[] {
  const app = (JSON.parse(fs.readFileSync(path.join(root, 'cdktf.json'), 'utf8')) as { app: string }).app;
  const out = (key: string) => path.join(outRoot, key);
  const floor = ['cdktf', ...providerImports(root)].map((module) => `require(${JSON.stringify(module)});`).join('');
  return [
    {
      key: 'synth',
      label: '`node scripts/synth.js` (what `npm run synth` runs: main.ts from its cached bundle)',
      command: 'node',
      args: ['scripts/synth.js'],
      outdir: out('synth'),
    },
    {
      key: 'register',
      label: '`node -r esbuild-register main.ts` (transpiles every module on every run)',
      command: 'node',
      args: ['-r', 'esbuild-register', 'main.ts'],
      outdir: out('register'),
    },
    {
      key: 'npmSynth',
      label: '`npm run synth` (the same, plus npm)',
      command: 'npm',
      args: ['run', '--silent', 'synth'],
      outdir: out('npmSynth'),
    },
    {
      key: 'cliApp',
      label: `\`cdktf synth\` (CLI, cdktf.json app \`${app}\`)`,
      command: 'npx',
      args: ['cdktf', 'synth', '--output', out('cliApp')],
      outdir: out('cliApp'),
    },
    {
      key: 'stock',
      label: 'stock: `cdktf synth -a "npx ts-node main.ts"`',
      command: 'npx',
      args: ['cdktf', 'synth', '-a', 'npx ts-node main.ts', '--output', out('stock')],
      outdir: out('stock'),
    },
    {
      key: 'tsNode',
      label: '`npx ts-node main.ts` (stock app without the CLI)',
      command: 'npx',
      args: ['ts-node', 'main.ts'],
      outdir: out('tsNode'),
    },
    {
      key: 'floor',
      label: `floor: \`require('cdktf')\` + ${providerImports(root).length} deep provider imports`,
      command: 'node',
      args: ['-e', floor],
    },
    {
      key: 'barrel',
      label: "`require('cdktf')` + the `@cdktf/provider-aws` barrel",
      command: 'node',
      args: ['-e', "require('cdktf');require('@cdktf/provider-aws')"],
    },
  ];
}

/** Handler zips and cache manifests: unchanged mtimes mean no handler was re-bundled. */
function bundleStamps(root: string): string {
  const cache = path.join(root, '.build', 'lambda');
  if (!fs.existsSync(cache)) return '';
  return fs
    .readdirSync(cache)
    .sort()
    .flatMap((name) => ['handler.zip', 'manifest.json'].map((file) => path.join(cache, name, file)))
    .map((file) => `${file}:${fs.existsSync(file) ? fs.statSync(file).mtimeMs : 'missing'}`)
    .join('\n');
}

function jsonSha256(outdir: string): string {
  const stacks = path.join(outdir, 'stacks');
  const [stack] = fs.readdirSync(stacks);
  return createHash('sha256')
    .update(fs.readFileSync(path.join(stacks, stack, 'cdk.tf.json')))
    .digest('hex');
}

/** `eachRound` runs once per round (warm-up included), after the variants: more samples under the same load. */
export async function benchSynth(
  root: string,
  outRoot: string,
  runs: number,
  log: (line: string) => void,
  eachRound: () => Promise<void> = async () => undefined,
): Promise<SynthResult> {
  const variants = synthVariants(root, outRoot);
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_update_notifier: 'false' };
  const run = async (variant: SynthVariant) => {
    const result = checked(
      variant.label,
      await runCommand(variant.command, variant.args, {
        cwd: root,
        env: variant.outdir ? { ...env, CDKTF_OUTDIR: variant.outdir } : env,
        timeoutMs: RUN_TIMEOUT_MS,
      }),
    );
    return { ...result, sha256: variant.outdir ? jsonSha256(variant.outdir) : undefined };
  };

  for (const variant of variants) if (variant.outdir) fs.mkdirSync(variant.outdir, { recursive: true });
  try {
    // One untimed round: bundles cached (the "unchanged tree"), npx and the page cache warm.
    log('synth: warm-up round');
    for (const variant of variants) await run(variant);
    await eachRound();
    const stampsBefore = bundleStamps(root);

    const samples = new Map(variants.map((variant) => [variant.key, [] as Awaited<ReturnType<typeof run>>[]]));
    for (let round = 1; round <= runs; round += 1) {
      log(`synth: round ${round}/${runs}`);
      for (const variant of variants) samples.get(variant.key)!.push(await run(variant));
      await eachRound();
    }

    const results = variants.map((variant): VariantResult => {
      const runsOf = samples.get(variant.key)!;
      const measured = (pick: (sample: (typeof runsOf)[number]) => number | undefined) => {
        const values = runsOf.map(pick).filter((value): value is number => value !== undefined);
        return values.length === runsOf.length ? stats(values) : undefined;
      };
      return {
        key: variant.key,
        label: variant.label,
        wallMs: stats(runsOf.map((sample) => sample.wallMs)),
        peakRssKb: measured((sample) => sample.peakRssKb),
        cpuMs: measured((sample) => sample.cpuMs),
        jsonSha256: runsOf.flatMap((sample) => (sample.sha256 ? [sample.sha256] : [])),
      };
    });
    const ours = new Set(results.find((result) => result.key === 'synth')!.jsonSha256);
    const all = new Set(results.flatMap((result) => result.jsonSha256));
    return {
      variants: results,
      providerModules: providerImports(root),
      deterministic: ours.size === 1,
      sameJsonEverywhere: all.size === 1,
      bundlesReused: stampsBefore !== '' && stampsBefore === bundleStamps(root),
    };
  } finally {
    fs.rmSync(outRoot, { recursive: true, force: true });
  }
}
