/**
 * Child process of the memory benchmark. Its main thread starts the "prepare thread" — a worker
 * whose heap is capped at `heapMb` — which streams a large corpus file through `prepare` with
 * tokenizer workers of their own (each holds the GPT-2 vocabulary, so they get a normal limit).
 * A process-wide `--max-old-space-size` would cap those workers too, hence the thread.
 * The main thread samples the process's resident size; the prepare thread reports its heap.
 */
import { stat } from 'node:fs/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { prepare } from '../src/node/index.js';

interface Job {
  corpusFile: string;
  outDir: string;
  workers: number;
}

if (isMainThread) {
  const [corpusFile, outDir, workers, heapMb] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
  ];
  const job: Job = { corpusFile, outDir, workers: Number(workers) };
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const thread = new Worker(code, {
    eval: true,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: Number(heapMb) },
  });
  const samples: { progress: number; rssMb: number; heapMb: number }[] = [];
  let last = { progress: 0, heapMb: 0 };
  const timer = setInterval(
    () => samples.push({ ...last, rssMb: process.memoryUsage().rss / 2 ** 20 }),
    100,
  );
  const done = await new Promise<{ seconds: number; tokens: number; heapLimitMb: number }>(
    (resolve, reject) => {
      thread.on('message', (message) => {
        if (message.type === 'progress') last = message;
        else resolve(message);
      });
      thread.on('error', reject);
    },
  );
  clearInterval(timer);
  await thread.terminate();
  process.stdout.write(`${JSON.stringify({ ...done, samples })}\n`);
} else {
  const { corpusFile, outDir, workers } = workerData as Job;
  const v8 = await import('node:v8');
  const totalChars = (await stat(corpusFile)).size; // ASCII-heavy text: bytes ≈ characters
  // This thread never encodes (the workers do), so it gets a stand-in with the GPT-2 facts.
  const standIn = {
    name: 'gpt2',
    vocabSize: 50257,
    eotToken: 50256,
    encode(): number[] {
      throw new Error('the prepare thread should not encode when workers > 0');
    },
    toJSON: () => ({ type: 'gpt2' }),
  };
  const start = performance.now();
  let lastReport = 0;
  const manifest = await prepare(corpusFile, standIn, {
    outDir,
    workers,
    valFraction: 0,
    workerResourceLimits: { maxOldGenerationSizeMb: 256 },
    onProgress: (stats) => {
      const now = performance.now();
      if (now - lastReport < 50) return;
      lastReport = now;
      parentPort!.postMessage({
        type: 'progress',
        progress: stats.characters / totalChars,
        heapMb: process.memoryUsage().heapUsed / 2 ** 20,
      });
    },
  });
  parentPort!.postMessage({
    type: 'done',
    seconds: (performance.now() - start) / 1000,
    tokens: manifest.train.tokens,
    heapLimitMb: v8.getHeapStatistics().heap_size_limit / 2 ** 20,
  });
}
