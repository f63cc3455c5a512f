import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, BuildOptions, version as esbuildVersion } from 'esbuild';
import { zipSync } from 'fflate';
import { describeZip, HandlerBundle } from './handler-bundle';

export type { HandlerBundle };

/** Where handler sources live and bundles are cached, relative to the project root. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const HANDLERS_DIR = path.join('src', 'handlers');
export const BUNDLE_CACHE_DIR = path.join('.build', 'lambda');

/**
 * The Lambda runtime ships AWS SDK v3, so bundling it would only grow the zip. Only `@aws-sdk/*`
 * is external: a `@smithy/*` package imported directly (the X-Ray SDK does) may need another
 * major version than the runtime's SDK carries, so it is bundled.
 */
const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  external: ['@aws-sdk/*'],
  logLevel: 'silent',
};

/** A fixed timestamp and mode keep the zip byte-identical across machines and runs. */
const ZIP_ENTRY = { mtime: new Date('1980-01-01T00:00:00Z'), os: 3, attrs: 0o100644 << 16, level: 9 } as const;

interface CacheManifest {
  readonly optionsKey: string;
  /** Input path (relative to the project root) → hex SHA-256 of its content. */
  readonly inputs: Record<string, string>;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data);

const optionsKey = (entry: string) => sha256(JSON.stringify({ esbuildVersion, entry, BUILD_OPTIONS, ZIP_ENTRY })).digest('hex');

function hashInputs(root: string, inputs: Iterable<string>): Record<string, string> | undefined {
  const hashes: Record<string, string> = {};
  for (const input of inputs) {
    const file = path.join(root, input);
    if (!fs.existsSync(file)) return undefined;
    hashes[input] = sha256(fs.readFileSync(file)).digest('hex');
  }
  return hashes;
}

function readManifest(file: string): CacheManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CacheManifest;
  } catch {
    return undefined;
  }
}

function isFresh(root: string, manifest: CacheManifest | undefined, key: string, zipPath: string): boolean {
  if (!manifest || manifest.optionsKey !== key || !fs.existsSync(zipPath)) return false;
  const current = hashInputs(root, Object.keys(manifest.inputs));
  return current !== undefined && Object.entries(manifest.inputs).every(([input, hash]) => current[input] === hash);
}

export interface BundleOptions {
  /**
   * Project root holding `src/handlers/<name>/index.ts` and the `.build` cache.
   * @default the root of this project
   */
  readonly root?: string;
}

/**
 * Bundles `src/handlers/<name>/index.ts` with esbuild into a deterministic zip, reusing the cached
 * zip when none of the files esbuild read last time has changed (content-hashed, not mtime-based).
 */
export function bundleHandler(name: string, options: BundleOptions = {}): HandlerBundle {
  const root = options.root ?? PROJECT_ROOT;
  const entry = path.join(HANDLERS_DIR, name, 'index.ts');
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !fs.existsSync(path.join(root, entry))) {
    throw new Error(`bundleHandler: no handler named "${name}" (expected ${entry} under ${root})`);
  }

  const cacheDir = path.join(root, BUNDLE_CACHE_DIR, name);
  const zipPath = path.join(cacheDir, 'handler.zip');
  const manifestPath = path.join(cacheDir, 'manifest.json');
  const key = optionsKey(entry);
  if (isFresh(root, readManifest(manifestPath), key, zipPath)) return describeZip(name, zipPath, true);

  const result = buildSync({
    ...BUILD_OPTIONS,
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: 'index.js',
    write: false,
    metafile: true,
  });
  const code = result.outputFiles[0].contents;
  const inputs = hashInputs(root, Object.keys(result.metafile.inputs).sort());

  fs.mkdirSync(cacheDir, { recursive: true });
  fs.rmSync(manifestPath, { force: true });
  fs.writeFileSync(zipPath, zipSync({ 'index.js': [code, ZIP_ENTRY] }));
  // An input esbuild read but we cannot re-read (a virtual module) makes the cache unusable: rebuild next time.
  if (inputs) fs.writeFileSync(manifestPath, JSON.stringify({ optionsKey: key, inputs } satisfies CacheManifest, null, 2));
  return describeZip(name, zipPath, false);
}
