/**
 * The speed-up ceiling of the machine right now: GPT-2 encoding of in-memory Brown text (no I/O,
 * no prepare) on 1 thread, then on 2 threads at once. On a shared or busy machine two threads
 * get less than 2×, and prepare's 2-worker speed-up can be judged against this.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

/** MB/s of each thread when `threads` encode at the same time. */
export async function encodeRates(threads: number): Promise<number[]> {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  // Start together once all have built their tokenizer, so the runs overlap.
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const rates = workers.map(
    (w) => new Promise<number>((resolve) => w.once('message', (rate: number) => resolve(rate))),
  );
  for (const w of workers) w.postMessage('go');
  const result = await Promise.all(rates);
  await Promise.all(workers.map((w) => w.terminate()));
  return result;
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const { gpt2Tokenizer } = await import('@gpt2/tokenizer');
  const { loadBrownCorpus } = await import('@gpt2/corpora');
  const tokenizer = await gpt2Tokenizer();
  const texts = (await loadBrownCorpus()).map((d) => d.text);
  port.postMessage('ready');
  port.once('message', () => {
    const start = performance.now();
    let bytes = 0;
    for (let r = 0; r < 2; r++) {
      for (const text of texts) {
        tokenizer.encode(text);
        bytes += Buffer.byteLength(text);
      }
    }
    port.postMessage(bytes / 1e6 / ((performance.now() - start) / 1000));
  });
}
