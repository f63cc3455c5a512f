/**
 * The receiver snippet of docs/DELIVERY.md, taken from the document itself, verifies what the
 * dispatcher sends: signed by its own signing code, with every kind of secret a destination may
 * hold, through the real `standardwebhooks` library.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Webhook } from 'standardwebhooks';
import * as ts from 'typescript';
import { buildDeliveryRequest } from '../../src/handlers/dispatcher/delivery-request';
import type { DeliveryEvent } from '../../src/handlers/shared/delivery-event';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join('docs', 'DELIVERY.md');
const MARKER = '<!-- snippet: verify-delivery';

/** The fenced TypeScript block right after the snippet marker. */
function snippet(): string {
  const doc = fs.readFileSync(path.join(ROOT, DOC), 'utf8');
  const start = doc.indexOf(MARKER);
  if (start < 0) throw new Error(`${DOC} has no "${MARKER} …" marker before the receiver snippet`);
  const block = /\n```ts\n([\s\S]*?)\n```\n/.exec(doc.slice(start));
  if (!block) throw new Error(`${DOC}: no \`\`\`ts block follows "${MARKER}"`);
  return block[1];
}

type Verify = (rawBody: string | Buffer, headers: Record<string, string>, secret: string) => unknown;

/** The snippet as a receiver would run it: compiled to CommonJS, its imports from this project's node_modules. */
function loadSnippet(): Verify {
  const { outputText } = ts.transpileModule(snippet(), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: false,
  });
  const module = { exports: {} as { verifyDelivery?: Verify } };
  new Function('require', 'module', 'exports', 'process', outputText)(require, module, module.exports, process);
  if (typeof module.exports.verifyDelivery !== 'function') throw new Error(`${DOC}: the snippet must export verifyDelivery`);
  return module.exports.verifyDelivery;
}

const body = '{"id":"evt_1","type":"invoice.paid","amount":12345678901234567890123,"note":"é ü 🔑"}';
const event: DeliveryEvent = {
  version: 2,
  destination: 'billing',
  id: 'evt_1',
  source: 'stripe',
  type: 'invoice.paid',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: 'req-1',
  body,
};
const NON_ASCII = 'sécret-ü-🔑';
const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const send = (secrets: string[]) =>
  buildDeliveryRequest(event, secrets, {
    attempt: 1,
    nowMs: Date.now(),
    secretParameter: '/webhook-pipeline/dev/delivery/destinations/billing',
  });

describe(`the receiver snippet of ${DOC}`, () => {
  const verifyDelivery = loadSnippet();

  test.each([
    ['a non-ASCII raw secret', NON_ASCII],
    ['an ASCII raw secret (0.1.0 style)', 'raw-secret-0.1.0'],
    ['a whsec_ secret', WHSEC],
  ])('verifies a delivery signed by the dispatcher with %s', (_kind, secret) => {
    const { headers, body: sent } = send([secret]);
    expect(verifyDelivery(sent, { ...headers }, secret)).toEqual(JSON.parse(body));
    expect(verifyDelivery(Buffer.from(sent, 'utf8'), { ...headers }, secret)).toEqual(JSON.parse(body));
  });

  test('verifies with either secret during a rotation', () => {
    const { headers, body: sent } = send([WHSEC, NON_ASCII]);
    expect(verifyDelivery(sent, { ...headers }, WHSEC)).toEqual(JSON.parse(body));
    expect(verifyDelivery(sent, { ...headers }, NON_ASCII)).toEqual(JSON.parse(body));
  });

  test('rejects a tampered body, another secret, and a missing signature', () => {
    const { headers, body: sent } = send([NON_ASCII]);
    expect(() => verifyDelivery(sent.replace('evt_1', 'evt_2'), { ...headers }, NON_ASCII)).toThrow('No matching signature found');
    expect(() => verifyDelivery(sent, { ...headers }, 'sécret-ü-🔒')).toThrow('No matching signature found');
    const { 'webhook-signature': _signature, ...unsigned } = headers;
    expect(() => verifyDelivery(sent, unsigned, NON_ASCII)).toThrow('Missing required headers');
  });

  test("is needed: the raw string form reads a non-ASCII secret one UTF-16 unit per byte, another key than the dispatcher's", () => {
    const { headers, body: sent } = send([NON_ASCII]);
    expect(() => new Webhook(NON_ASCII, { format: 'raw' }).verify(sent, { ...headers })).toThrow('No matching signature found');
  });

  test('type-checks as a receiver would compile it (strict, Node types)', () => {
    const file = path.join(ROOT, '__tests__', 'docs', 'receiver-snippet.virtual.ts');
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (name) => (name === file ? snippet() : readFile(name));
    host.fileExists = (name) => name === file || fileExists(name);
    host.getSourceFile = (name, version, onError, create) =>
      name === file ? ts.createSourceFile(name, snippet(), version) : getSourceFile(name, version, onError, create);
    const program = ts.createProgram([file], options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});
