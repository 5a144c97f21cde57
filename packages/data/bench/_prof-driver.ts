import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadBrownCorpus } from '@gpt2/corpora';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { prepare } from '/work/main/packages/data/src/node/index.ts';

const root = await mkdtemp(join(tmpdir(), 'dprof-'));
const tokenizer = await gpt2Tokenizer();
const docs = await loadBrownCorpus();
const R = Number(process.env.REPEATS ?? 10);
const corpusDir = join(root, 'brown');
await mkdir(corpusDir);
let bytes = 0;
for (let r = 0; r < R; r++) for (const d of docs) { await writeFile(join(corpusDir, `${d.id}-${r}.txt`), d.text); bytes += Buffer.byteLength(d.text); }
const list = (process.env.WORKERS ?? '0,1,2').split(',').map(Number);
console.log('load', loadavg()[0].toFixed(2));
for (let rep = 0; rep < Number(process.env.ROUNDS ?? 1); rep++)
for (const workers of list) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await prepare(corpusDir, tokenizer, { outDir: join(root, `w${workers}-${rep}`), workers });
  const s = (performance.now() - t0) / 1000; const c = process.cpuUsage(c0);
  console.log(`workers=${workers} ${s.toFixed(2)} s ${(bytes / 1e6 / s).toFixed(1)} MB/s cpu/wall ${((c.user + c.system) / 1e6 / s).toFixed(2)}`);
}
console.log('load', loadavg()[0].toFixed(2));
await rm(root, { recursive: true, force: true });
