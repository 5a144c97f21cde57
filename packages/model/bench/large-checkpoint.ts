/**
 * Peak resident memory of loading a large HF-layout folder (config.json +
 * model.safetensors) with `loadModelFolder`, against the model's float32
 * bytes: the bound is 1.3×. Two steps, each its own process so the
 * load's peak is not the writer's:
 *
 *   tsx --conditions=@gpt2/source bench/large-checkpoint.ts write DIR [preset] [F32|F16|BF16]
 *   tsx --conditions=@gpt2/source bench/large-checkpoint.ts load DIR [backend]
 *
 * `write` stores random weights at the preset's real shapes (default
 * gpt2-xl, 6.2 GB in F32); BF16 is F32 with the low half of each float dropped.
 * Run big sizes under `flock /tmp/gpt2-heavy.lock`.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { peakRssBytes, resetPeakRss } from '@gpt2/backends/testing';
import {
  configToHF,
  countParameters,
  GPT2Model,
  type PresetName,
  resolveConfig,
} from '../src/index.js';
import { loadModelFolder } from '../src/node/index.js';

const [mode, dir, arg3, arg4] = process.argv.slice(2);
if (!dir || (mode !== 'write' && mode !== 'load')) {
  throw new Error(
    'usage: large-checkpoint.ts write DIR [preset] [F32|F16|BF16] | load DIR [backend]',
  );
}
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

if (mode === 'write') {
  const config = resolveConfig({ preset: (arg3 ?? 'gpt2-xl') as PresetName });
  const dtype = (arg4 ?? 'F32') as 'F32' | 'F16' | 'BF16';
  await initBackend('native');
  // Random weights, one tensor at a time: the writer never holds the model.
  const model = GPT2Model.create(config, { init: 'zeros' });
  const entries = [...model.parameters()].map(([name, v]) => ({ name, shape: v.shape }));
  model.dispose();
  const bytesPer = dtype === 'F32' ? 4 : 2;
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const { name, shape } of entries) {
    const size = shape.reduce((a, b) => a * b, 1) * bytesPer;
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(configToHF(config), null, 2));
  const file = await open(join(dir, 'model.safetensors'), 'w');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  await file.write(prefix);
  await file.write(Buffer.from(json));
  let seed = 1;
  for (const { shape } of entries) {
    const n = shape.reduce((a, b) => a * b, 1);
    const f32 = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      f32[i] = ((seed / 2 ** 32) * 2 - 1) * 0.04;
    }
    let out: Uint8Array;
    if (dtype === 'F32') out = new Uint8Array(f32.buffer);
    else if (dtype === 'BF16') {
      const u32 = new Uint32Array(f32.buffer);
      const u16 = new Uint16Array(n);
      for (let i = 0; i < n; i++) u16[i] = u32[i]! >>> 16;
      out = new Uint8Array(u16.buffer);
    } else {
      const { encodeFloat } = await import('../src/weights/dtypes.js');
      out = encodeFloat('F16', f32);
    }
    await file.write(out);
  }
  await file.close();
  console.log(
    `wrote ${dir}: ${countParameters(config).toLocaleString('en-US')} parameters, ${dtype}`,
  );
} else {
  await initBackend((arg3 ?? 'native') as never);
  const before = process.memoryUsage().rss;
  resetPeakRss();
  const started = performance.now();
  const model = await loadModelFolder(dir);
  const seconds = (performance.now() - started) / 1000;
  const peak = peakRssBytes() ?? Number.NaN;
  const fp32 = countParameters(model.config) * 4;
  const ratio = (peak - before) / fp32;
  console.log(
    JSON.stringify({
      dir,
      parameters: countParameters(model.config),
      fp32: gib(fp32),
      rssBefore: gib(before),
      peakRss: gib(peak),
      loadPeakOverFp32: Number(ratio.toFixed(3)),
      seconds: Number(seconds.toFixed(1)),
    }),
  );
  model.dispose();
}
