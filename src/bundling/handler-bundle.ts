import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A zipped Lambda handler (entry `index.js`, handler `index.handler`). */
export interface HandlerBundle {
  readonly name: string;
  /** Absolute path of the deterministic zip. */
  readonly zipPath: string;
  /** Hex SHA-256 of the zip, used as the asset hash. */
  readonly sha256Hex: string;
  /** Base64 SHA-256 of the zip: Lambda's `source_code_hash`. */
  readonly sha256Base64: string;
  readonly sizeBytes: number;
  /** True when an existing zip was used (a prebuilt one, or a cached bundle of an unchanged tree). */
  readonly reused: boolean;
}

/**
 * Where the published package keeps its prebuilt handler zips: `lib/handlers/<name>.zip`, built by
 * `npm run build`, shared by both frameworks' builds. From this file's compiled location that is
 * `../../handlers` (`lib/src/bundling/`, CDKTF) or `../../../handlers` (`lib/cdktn/src/bundling/`).
 */
export const PREBUILT_HANDLERS_DIR = prebuiltHandlersDir(__dirname);

export function prebuiltHandlersDir(bundlingDir: string): string {
  const tree = path.resolve(bundlingDir, '..', '..');
  return path.join(path.basename(tree) === 'cdktn' ? path.dirname(tree) : tree, 'handlers');
}

export function describeZip(name: string, zipPath: string, reused: boolean): HandlerBundle {
  const zip = fs.readFileSync(zipPath);
  const sha256 = () => createHash('sha256').update(zip);
  return {
    name,
    zipPath,
    sha256Hex: sha256().digest('hex'),
    sha256Base64: sha256().digest('base64'),
    sizeBytes: zip.length,
    reused,
  };
}

/**
 * The handler's zip: the prebuilt one shipped in the package when there is one, otherwise a bundle
 * of `src/handlers/<name>` built with esbuild (in this repository). esbuild is loaded only then,
 * so an app that installs the package never needs it.
 */
export function defaultBundle(name: string): HandlerBundle {
  const prebuilt = path.join(PREBUILT_HANDLERS_DIR, `${name}.zip`);
  if (fs.existsSync(prebuilt)) return describeZip(name, prebuilt, true);
  let bundler: typeof import('./bundle-handler');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild only when there is no prebuilt zip
    bundler = require('./bundle-handler') as typeof import('./bundle-handler');
  } catch (error) {
    throw new Error(
      `no prebuilt handler zip at ${prebuilt}, and esbuild cannot be loaded to bundle src/handlers/${name} ` +
        `(${(error as Error).message.split('\n')[0]}): reinstall the package, or pass your own build as the bundle prop`,
      { cause: error },
    );
  }
  return bundler.bundleHandler(name);
}
