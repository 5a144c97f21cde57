import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadBrownCorpus } from '@gpt2/corpora';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { readDocuments, nodeFileSystem } from '../src/node/index.js';
import { textPieces, encodePiece } from '../src/tokenize-pipeline.js';

const root = await mkdtemp(join(tmpdir(), 'dprof-'));
const docs = await loadBrownCorpus();
const corpusDir = join(root, 'brown'); await mkdir(corpusDir);
let bytes = 0;
for (let r = 0; r < 10; r++) for (const d of docs) { await writeFile(join(corpusDir, `${d.id}-${r}.txt`), d.text); bytes += Buffer.byteLength(d.text); }
const tok = await gpt2Tokenizer();
const time = async (label: string, f: () => Promise<unknown>) => { const c0 = process.cpuUsage(); const t0 = performance.now(); await f(); const c = process.cpuUsage(c0); console.log(label.padEnd(20), ((performance.now()-t0)/1000).toFixed(2), 's wall', ((c.user+c.system)/1e6).toFixed(2), 's cpu', `(user ${(c.user/1e6).toFixed(2)} sys ${(c.system/1e6).toFixed(2)})`); };
console.log('load', loadavg()[0].toFixed(2));
import { createReadStream } from 'node:fs';
const oldFs = { ...nodeFileSystem, open: (path: string) => ({ name: path, async *stream() { const st = createReadStream(path, { highWaterMark: 1 << 20 }); for await (const c of st) yield c as Uint8Array; } }) };
for (let rep = 0; rep < 2; rep++) {
await time('OLD read+decode', async () => { for await (const d of readDocuments(corpusDir, { fileSystem: oldFs })) if (typeof d.text !== 'string') for await (const _ of d.text); });
await time('read+decode', async () => { for await (const d of readDocuments(corpusDir, { fileSystem: nodeFileSystem })) if (typeof d.text !== 'string') for await (const _ of d.text); });
await time('read+pieces', async () => { for await (const _ of textPieces(readDocuments(corpusDir, { fileSystem: nodeFileSystem }))); });
let n = 0;
await time('read+encode', async () => { for await (const p of textPieces(readDocuments(corpusDir, { fileSystem: nodeFileSystem }))) { n += encodePiece(tok, p.text).length; if (n > 4e6) break; } });
}
console.log('load', loadavg()[0].toFixed(2));
await rm(root, { recursive: true, force: true });
