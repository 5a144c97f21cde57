import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES, modelFromBundle } from '@gpt2/model';
import { saveModelFolder } from '@gpt2/model/node';
import { selectBackend } from '../backend.js';
import { MODEL_TOKENIZER_FILE, readModel } from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { ensureWritableDirectory, resolvePath } from '../io/files.js';
import { saveTokenizer } from '../tokenizer-file.js';
import { convertFromLlmc, convertToLlmc, isLlmcSource } from './convert-llmc.js';
import type { convertSpec } from './specs.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `gpt2 convert`: see its spec in specs.ts. */
export async function runConvert(
  parsed: ParsedCommand<typeof convertSpec>,
  context: CliContext,
): Promise<void> {
  const { values, positionals } = parsed;
  if (values.out === undefined) throw new UserError('--out DIR is required.');
  const source = resolvePath(context, positionals[0]!);
  if (!(await exists(source))) throw new UserError(`'${positionals[0]}' does not exist.`);
  const out = resolvePath(context, values.out);
  if (out === source) throw new UserError('--out must differ from the source folder.');
  if (values.from === 'llmc' || (await isLlmcSource(source))) {
    if (values.to === 'llmc') {
      throw new UserError(
        `'${positionals[0]}' is already llm.c's format: --to llmc needs our checkpoint or an HF folder.`,
      );
    }
    return convertFromLlmc(parsed, context, source, out);
  }
  if (values.to === 'llmc') return convertToLlmc(parsed, context, out);
  const bundle = await readModel(context, positionals[0]!, { tokenizer: values.tokenizer });
  const folder = bundle.location;
  const isOurs =
    (await exists(join(folder, BUNDLE_FILES.trainerState))) ||
    (await exists(join(folder, MODEL_TOKENIZER_FILE)));
  const to = values.to ?? (isOurs ? 'hf' : 'ours');
  if (out === folder) throw new UserError('--out must differ from the source folder.');
  await ensureWritableDirectory(out);
  await selectBackend(values.backend, context);
  // Loading checks every tensor's name, shape and dtype; saving writes the HF
  // layout. Both formats share it, so the two directions differ only in the
  // files written beside the weights.
  const { model, tokenizer } = await modelFromBundle(bundle);
  try {
    await saveModelFolder(model, out);
    if (to === 'ours') await saveTokenizer(join(out, MODEL_TOKENIZER_FILE), tokenizer);
  } finally {
    model.dispose();
  }
  context.stderr.write(
    `converted ${folder} (${isOurs ? 'ours' : 'hf'}) → ${out} (${to}); tokenizer ${tokenizer.name}${to === 'hf' && tokenizer.name !== 'gpt2' ? " (not written: HF folders hold only GPT-2's tokenizer; keep your tokenizer.json)" : ''}\n`,
  );
  context.stdout.write(`${out}\n`);
}
