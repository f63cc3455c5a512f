'use strict';
/**
 * `npm run synth` and cdktf.json's app: runs main.ts from one esbuild bundle cached in .build/synth/,
 * so the ~50 TypeScript modules are not transpiled again on every synth. An entry is keyed by the
 * content of every file esbuild bundled (its metafile's inputs), tsconfig.json, this launcher,
 * esbuild's version and the build options: an edited source misses and is rebuilt, never served
 * stale. Plain JavaScript, and esbuild is loaded only on a miss, so a hit costs a few hashes.
 *
 * `node scripts/synth.js [entry.ts]`: another entry (the bench's phase timer) is cached alike.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(ROOT, '.build', 'synth');
/** Entries kept: enough to switch between a few branches without a rebuild. */
const KEEP = 4;
/** A temporary folder older than this is a build that died; younger ones may be another synth's. */
const ABANDONED_MS = 10 * 60_000;

const BUILD_OPTIONS = {
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // A linked map costs nothing unless asked for: NODE_OPTIONS=--enable-source-maps maps stack traces to the .ts sources.
  sourcemap: 'linked',
  sourcesContent: false,
  // esbuild renames clashing top-level names; an error's or a class's name must stay what the source says.
  keepNames: true,
  logLevel: 'silent',
};

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

let esbuildVersionMemo;
const esbuildVersion = () => (esbuildVersionMemo ??= require('esbuild/package.json').version);

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

/** The key of an entry whose bundle read `inputs` (root-relative paths); undefined if one is gone. */
function entryKey(entry, inputs, hashOf) {
  const hashes = [];
  for (const input of ['tsconfig.json', ...inputs]) {
    const hash = hashOf(input);
    if (hash === undefined) return undefined;
    hashes.push([input, hash]);
  }
  const launcher = hashOf(path.relative(ROOT, module.filename));
  return sha256(JSON.stringify({ entry, root: ROOT, esbuildVersion: esbuildVersion(), launcher, BUILD_OPTIONS, hashes }));
}

function fileHasher() {
  const memo = new Map();
  return (input) => {
    if (!memo.has(input)) {
      try {
        memo.set(input, sha256(fs.readFileSync(path.join(ROOT, input))));
      } catch {
        memo.set(input, undefined);
      }
    }
    return memo.get(input);
  };
}

function cachedEntries() {
  let names;
  try {
    names = fs.readdirSync(CACHE_DIR);
  } catch {
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.'))
    .map((name) => {
      const dir = path.join(CACHE_DIR, name);
      try {
        return { dir, mtimeMs: fs.statSync(dir).mtimeMs };
      } catch {
        return undefined; // pruned by another synth meanwhile
      }
    })
    .filter(Boolean)
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
}

function findFresh(entry) {
  const hashOf = fileHasher();
  for (const { dir } of cachedEntries()) {
    let manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    } catch {
      continue;
    }
    if (manifest.entry !== entry || manifest.key !== entryKey(entry, manifest.inputs, hashOf)) continue;
    const bundle = path.join(dir, 'main.js');
    if (!fs.existsSync(bundle)) continue;
    const now = new Date();
    fs.utimesSync(dir, now, now); // most recently used: the last to be pruned
    return bundle;
  }
  return undefined;
}

/**
 * Code that reads `__dirname`/`__filename` (the handler bundler finds the project root so) must see
 * its source's location, not the bundle's. Also records a hash of exactly what esbuild was given.
 */
function sourceLocationPlugin(loaded) {
  return {
    name: 'source-location',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        const loader = LOADERS[path.extname(args.path)];
        if (!loader) return undefined;
        const bytes = fs.readFileSync(args.path);
        loaded.set(path.relative(ROOT, args.path), sha256(bytes));
        let contents = bytes.toString('utf8');
        if (loader !== 'json' && /\b__(dirname|filename)\b/.test(contents)) {
          // On the first line, so every later line keeps its number in stack traces.
          const location = `var __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)}; `;
          contents = location + contents;
        }
        return { contents, loader };
      });
    },
  };
}

async function build(entry) {
  const esbuild = require('esbuild');
  const loaded = new Map();
  let result;
  try {
    result = await esbuild.build({
      ...BUILD_OPTIONS,
      absWorkingDir: ROOT,
      entryPoints: [entry],
      outfile: path.join(CACHE_DIR, 'out', 'main.js'),
      write: false,
      metafile: true,
      plugins: [sourceLocationPlugin(loaded)],
    });
  } catch (error) {
    if (!error.errors) throw error;
    // One esbuild message per error, file:line:column first, as a transpile error used to be.
    const color = process.stderr.isTTY === true;
    process.stderr.write(esbuild.formatMessagesSync(error.errors, { kind: 'error', color }).join(''));
    process.exit(1);
  }
  const inputs = Object.keys(result.metafile.inputs).sort();
  // Hashes of the bytes esbuild was given: a file edited while it bundled keys the entry by what was bundled.
  const hashOf = fileHasher();
  const key = entryKey(entry, inputs, (input) => loaded.get(input) ?? hashOf(input));
  const dir = path.join(CACHE_DIR, key.slice(0, 24));
  const bundle = path.join(dir, 'main.js');
  if (fs.existsSync(bundle)) return bundle;

  // Written aside and renamed into place, so a concurrent synth sees a whole entry or none.
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const temp = fs.mkdtempSync(path.join(CACHE_DIR, '.tmp-'));
  for (const file of result.outputFiles) fs.writeFileSync(path.join(temp, path.basename(file.path)), file.contents);
  fs.writeFileSync(path.join(temp, 'manifest.json'), `${JSON.stringify({ entry, key, inputs }, null, 2)}\n`);
  try {
    fs.renameSync(temp, dir);
  } catch {
    fs.rmSync(temp, { recursive: true, force: true }); // another synth wrote the same entry first
  }
  prune(dir);
  return bundle;
}

function prune(keep) {
  for (const { dir } of cachedEntries().slice(KEEP)) if (dir !== keep) fs.rmSync(dir, { recursive: true, force: true });
  for (const name of fs.readdirSync(CACHE_DIR)) {
    const dir = path.join(CACHE_DIR, name);
    try {
      if (name.startsWith('.tmp-') && Date.now() - fs.statSync(dir).mtimeMs > ABANDONED_MS)
        fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // removed by another synth meanwhile
    }
  }
}

function load(bundle) {
  // A monitor, not a catch: Node still prints the error, with its source line, and exits as before.
  process.once('uncaughtExceptionMonitor', (error) => {
    if (process.sourceMapsEnabled || !String(error && error.stack).includes(path.dirname(bundle))) return;
    process.stderr.write(
      `The stack trace below is of the cached bundle ${path.relative(process.cwd(), bundle)}; ` +
        'NODE_OPTIONS=--enable-source-maps maps it to the TypeScript sources.\n',
    );
  });
  require(bundle);
}

const entry = path.relative(ROOT, path.resolve(process.argv[2] ?? path.join(ROOT, 'main.ts')));
const fresh = findFresh(entry);
if (fresh) load(fresh);
// The app runs outside the promise (esbuild's plugins need its async API): its errors stay uncaught exceptions.
else build(entry).then((bundle) => process.nextTick(load, bundle));
