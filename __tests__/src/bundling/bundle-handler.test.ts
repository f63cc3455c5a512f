import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { bundleHandler } from '../../../src/bundling/bundle-handler';

function projectWithHandler(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-test-'));
  fs.mkdirSync(path.join(root, 'src', 'handlers', 'demo'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'src', 'handlers', 'demo', 'index.ts'),
    "import { answer } from './answer';\nimport { SQSClient } from '@aws-sdk/client-sqs';\nexport const handler = async () => ({ answer, external: typeof SQSClient });\n",
  );
  fs.writeFileSync(path.join(root, 'src', 'handlers', 'demo', 'answer.ts'), 'export const answer: number = 42;\n');
  return root;
}

function loadHandler(zipPath: string): () => Promise<unknown> {
  const files = unzipSync(fs.readFileSync(zipPath));
  expect(Object.keys(files)).toEqual(['index.js']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-run-'));
  const file = path.join(dir, 'index.js');
  fs.writeFileSync(file, files['index.js']);
  // The SDK stays external, as on the Lambda runtime; resolve it from this project.
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the zip's code from a path known only at run time
  return require(file).handler;
}

describe('bundleHandler', () => {
  test('bundles a handler into a zip whose index.handler runs', async () => {
    const root = projectWithHandler();
    const bundle = bundleHandler('demo', { root });
    expect(bundle.reused).toBe(false);
    expect(bundle.zipPath.startsWith(root)).toBe(true);
    expect(bundle.sizeBytes).toBe(fs.statSync(bundle.zipPath).size);
    await expect(loadHandler(bundle.zipPath)()).resolves.toEqual({ answer: 42, external: 'function' });
    const code = Buffer.from(unzipSync(fs.readFileSync(bundle.zipPath))['index.js']).toString();
    expect(code).not.toContain('SQSClient=class'); // @aws-sdk left external
    expect(code).toContain('require("@aws-sdk/client-sqs")');
  });

  test('reuses the cached zip while no input changed, rebuilds when one did', () => {
    const root = projectWithHandler();
    const first = bundleHandler('demo', { root });
    const second = bundleHandler('demo', { root });
    expect(second.reused).toBe(true);
    expect(second.sha256Hex).toBe(first.sha256Hex);

    fs.writeFileSync(path.join(root, 'src', 'handlers', 'demo', 'answer.ts'), 'export const answer: number = 43;\n');
    const third = bundleHandler('demo', { root });
    expect(third.reused).toBe(false);
    expect(third.sha256Hex).not.toBe(first.sha256Hex);
  });

  test('is deterministic: a clean rebuild yields a byte-identical zip', () => {
    const root = projectWithHandler();
    const first = bundleHandler('demo', { root });
    fs.rmSync(path.join(root, '.build'), { recursive: true });
    const again = bundleHandler('demo', { root });
    expect(again.reused).toBe(false);
    expect(again.sha256Hex).toBe(first.sha256Hex);
    expect(again.sha256Base64).toBe(Buffer.from(first.sha256Hex, 'hex').toString('base64'));
  });

  test('rebuilds when the cache manifest is corrupt', () => {
    const root = projectWithHandler();
    const first = bundleHandler('demo', { root });
    fs.writeFileSync(path.join(root, '.build', 'lambda', 'demo', 'manifest.json'), '{not json');
    const again = bundleHandler('demo', { root });
    expect(again.reused).toBe(false);
    expect(again.sha256Hex).toBe(first.sha256Hex);
  });

  test('rebuilds when a recorded input disappeared', () => {
    const root = projectWithHandler();
    bundleHandler('demo', { root });
    const manifestPath = path.join(root, '.build', 'lambda', 'demo', 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    manifest.inputs['src/handlers/demo/gone.ts'] = 'x';
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(bundleHandler('demo', { root }).reused).toBe(false);
  });

  test.each(['missing', '../escape', 'Upper'])('rejects the unknown handler name %p, naming it', (name) => {
    const root = projectWithHandler();
    expect(() => bundleHandler(name, { root })).toThrow(`no handler named "${name}"`);
  });

  test.each(['validator', 'processor', 'dispatcher'])('the real %s handler bundles to under 250 KB', (name) => {
    const bundle = bundleHandler(name);
    expect(bundle.sizeBytes).toBeGreaterThan(1000);
    expect(bundle.sizeBytes).toBeLessThan(250 * 1024);
  });
});

describe('defaultBundle', () => {
  test('without a prebuilt zip it bundles from src/handlers, as in this repository', () => {
    const { defaultBundle } = jest.requireActual(
      '../../../src/bundling/handler-bundle',
    ) as typeof import('../../../src/bundling/handler-bundle');
    const bundle = defaultBundle('validator');
    expect(bundle.zipPath).toMatch(/\.build\/lambda\/validator\/handler\.zip$/);
  });

  test('without a prebuilt zip and without esbuild it says what to do', () => {
    jest.isolateModules(() => {
      jest.doMock('../../../src/bundling/bundle-handler', () => {
        throw new Error("Cannot find module 'esbuild'\nRequire stack: …");
      });
      const { defaultBundle } = jest.requireActual(
        '../../../src/bundling/handler-bundle',
      ) as typeof import('../../../src/bundling/handler-bundle');
      expect(() => defaultBundle('validator')).toThrow(
        /no prebuilt handler zip at .*validator\.zip, and esbuild cannot be loaded to bundle src\/handlers\/validator \(Cannot find module 'esbuild'\): reinstall/,
      );
    });
  });
});
