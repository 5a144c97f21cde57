import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LoraAdapterError } from '../errors/lora-adapter-error.js';
import type { LoraModel } from '../lora/lora-model.js';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  loadLoraAdapter,
  type SaveLoraAdapterOptions,
  saveLoraAdapter,
} from '../lora/peft-format.js';
import type { GPT2Model } from '../model.js';
import {
  commitTempFiles,
  discardTempFiles,
  type OpenFileSink,
  type TempFile,
  writeTempFile,
} from './atomic-write.js';

/** Options of {@link saveLoraAdapterFolder}. */
export interface SaveLoraAdapterFolderOptions extends SaveLoraAdapterOptions {
  /** Opens each temporary file for writing. Default: `node:fs` `open(path, 'wx')`. */
  openFile?: OpenFileSink;
}

/**
 * Writes a PEFT adapter folder (`adapter_config.json` +
 * `adapter_model.safetensors`, what `PeftModel.save_pretrained` writes),
 * creating `dir` if needed. Both files go to temporary names first and are
 * renamed into place only when both are complete.
 */
export async function saveLoraAdapterFolder(
  lora: LoraModel,
  dir: string,
  options: SaveLoraAdapterFolderOptions = {},
): Promise<void> {
  const files = await saveLoraAdapter(lora, options);
  await mkdir(dir, { recursive: true });
  const written: TempFile[] = [];
  try {
    written.push(
      await writeTempFile(
        join(dir, ADAPTER_WEIGHTS_FILE),
        (sink) => sink.write(files.weights),
        options.openFile,
      ),
    );
    written.push(
      await writeTempFile(
        join(dir, ADAPTER_CONFIG_FILE),
        (sink) => sink.write(new TextEncoder().encode(files.config)),
        options.openFile,
      ),
    );
  } catch (error) {
    await discardTempFiles(written);
    throw error;
  }
  await commitTempFiles(written);
}

async function readAdapterFile(dir: string, file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(join(dir, file)));
  } catch (cause) {
    if ((cause as { code?: string }).code !== 'ENOENT') throw cause;
    const pickle = await access(join(dir, 'adapter_model.bin')).then(
      () => true,
      () => false,
    );
    const hint =
      file === ADAPTER_WEIGHTS_FILE && pickle
        ? ' It has adapter_model.bin (PyTorch pickle), which is not read: re-save it with save_pretrained(..., safe_serialization=True).'
        : ' A PEFT adapter folder holds adapter_config.json and adapter_model.safetensors.';
    throw new LoraAdapterError({
      source: dir,
      problem: file === ADAPTER_CONFIG_FILE ? 'config' : 'missing-tensor',
      message: `there is no ${file}.${hint}`,
      cause,
    });
  }
}

/**
 * Applies the PEFT adapter in folder `dir` to `model`: see `loadLoraAdapter`.
 * @throws LoraAdapterError for a missing file or an adapter that does not fit.
 */
export async function loadLoraAdapterFolder(model: GPT2Model, dir: string): Promise<LoraModel> {
  const config = new TextDecoder().decode(await readAdapterFile(dir, ADAPTER_CONFIG_FILE));
  const weights = await readAdapterFile(dir, ADAPTER_WEIGHTS_FILE);
  return loadLoraAdapter(model, { config, weights }, { name: dir });
}
