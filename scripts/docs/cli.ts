/**
 * `npm run docs`: rewrites the generated blocks of the docs from the code. With `--check` it writes
 * nothing and exits 1 when a committed block is stale (the docs test does the same in-process).
 */
import { generateDocs, staleDocs, writeDocs } from './generate';

const started = Date.now();
const docs = generateDocs();
const elapsed = () => `${Date.now() - started} ms`;
if (process.argv.includes('--check')) {
  const stale = staleDocs(docs);
  for (const { file, hint } of stale) console.error(`${file} is stale; run \`npm run docs\`:\n${hint}\n`);
  if (stale.length) process.exitCode = 1;
  else console.log(`docs: ${docs.length} documents up to date (${elapsed()})`);
} else {
  const written = writeDocs(docs);
  console.log(
    written.length ? `docs: rewrote ${written.join(', ')} (${elapsed()})` : `docs: ${docs.length} documents up to date (${elapsed()})`,
  );
}
