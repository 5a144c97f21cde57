/** The tokenizer of a bundle (rule 3 of the README, "Model bundles"). */
import {
  detectTokenizerFormat,
  fromGpt2Files,
  GPT2_VOCAB_SIZE,
  gpt2Tokenizer,
  loadTokenizer,
  type Tokenizer,
  VocabFormatError,
} from '@gpt2/tokenizer';
import { joinPath } from './bundle-files.js';
import { BUNDLE_FILES, BUNDLE_METADATA_KEYS, RUN_FOLDER } from './layout.js';
import { ModelBundleError } from './model-bundle-error.js';
import type { ModelFolder } from './model-folder.js';

/** JSON files that are never a tokenizer: HF's other files, ours, the trainer's. */
const NOT_TOKENIZERS = new Set([
  BUNDLE_FILES.config,
  BUNDLE_FILES.trainerState,
  BUNDLE_FILES.hfTokenizer,
  BUNDLE_FILES.tokenizer,
  BUNDLE_FILES.hfVocab,
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'generation_config.json',
  'preprocessor_config.json',
  'train-config.json',
]);

/**
 * Other JSON files that may hold a tokenizer, in the order they are tried:
 * names with "tokenizer" first, then, when it is the only other JSON file,
 * any name (a tokenizer saved as `bpe-4096.json`). Each is kept only if its
 * content is a tokenizer.
 */
function otherTokenizerCandidates(names: readonly string[]): string[] {
  const json = names
    .filter(
      (name) => /\.json$/i.test(name) && !NOT_TOKENIZERS.has(name) && !name.endsWith('.index.json'),
    )
    .sort();
  const named = json.filter((name) => /tokeni[sz]er/i.test(name));
  return named.length > 0 ? named : json.length === 1 ? json : [];
}

/** A tokenizer and where it came from, in words. */
export interface FoundTokenizer {
  tokenizer: Tokenizer;
  source: string;
}

/**
 * The first of: `tokenizer.json` (either format), `gpt2-tokenizer.json`,
 * `vocab.json` + `merges.txt`, another JSON file holding a tokenizer,
 * `trainer_state.json`'s `tokenizer`, the run's `tokenizer.json`, the
 * weights' metadata `gpt2.tokenizer`, GPT-2's for a vocabulary that holds it.
 * @throws ModelBundleError listing every place tried;
 *   VocabFormatError for a tokenizer file that is there but invalid.
 */
export async function findTokenizer(
  folder: ModelFolder,
  vocabSize: number,
): Promise<FoundTokenizer> {
  const { files } = folder;
  const tried: string[] = [];
  const fromText = async (text: string, where: string) => ({
    tokenizer: await loadTokenizer(text, { source: where }),
    source: where,
  });
  for (const name of [BUNDLE_FILES.hfTokenizer, BUNDLE_FILES.tokenizer]) {
    const where = folder.locate(name);
    tried.push(where);
    const text = await folder.readText(name);
    if (text !== undefined) return fromText(text, where);
  }
  const vocabWhere = `${folder.locate(BUNDLE_FILES.hfVocab)} + ${BUNDLE_FILES.hfMerges}`;
  tried.push(vocabWhere);
  const vocab = await folder.readText(BUNDLE_FILES.hfVocab);
  const merges = vocab === undefined ? undefined : await folder.readText(BUNDLE_FILES.hfMerges);
  if (vocab !== undefined && merges !== undefined) {
    try {
      return {
        tokenizer: fromGpt2Files({ encoderJson: vocab, vocabBpe: merges, name: 'hf-bpe' }),
        source: vocabWhere,
      };
    } catch (error) {
      if (!VocabFormatError.isInstance(error)) throw error;
      throw new ModelBundleError({
        location: folder.location,
        part: 'tokenizer',
        reason: `${BUNDLE_FILES.hfVocab} + ${BUNDLE_FILES.hfMerges} do not load: ${error.message}`,
        cause: error,
      });
    }
  }
  // Picked loose files: a tokenizer saved under its own name (`bpe-4096.json`).
  for (const name of otherTokenizerCandidates(folder.names ?? [])) {
    const where = folder.locate(name);
    tried.push(`${where} (if a tokenizer)`);
    const text = await folder.readText(name);
    if (text === undefined) continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      continue;
    }
    if (detectTokenizerFormat(json) !== undefined) {
      return { tokenizer: await loadTokenizer(json as object, { source: where }), source: where };
    }
  }
  const stateWhere = `${folder.locate(BUNDLE_FILES.trainerState)} (tokenizer)`;
  tried.push(stateWhere);
  const saved = (await folder.trainerState())?.tokenizer;
  if (typeof saved === 'object' && saved !== null) {
    return { tokenizer: await loadTokenizer(saved, { source: stateWhere }), source: stateWhere };
  }
  if (folder.runFolder !== undefined) {
    const runPath = joinPath(folder.runFolder, RUN_FOLDER.tokenizer);
    const where = files.locate(runPath);
    tried.push(`${where} (the run's)`);
    const runNames = await files.list(folder.runFolder);
    const text =
      runNames === undefined || runNames.includes(RUN_FOLDER.tokenizer)
        ? await files.readText(runPath)
        : undefined;
    if (text !== undefined) return fromText(text, where);
  }
  const embeddedWhere = `${folder.weightsLocation} metadata '${BUNDLE_METADATA_KEYS.tokenizer}'`;
  tried.push(embeddedWhere);
  const embedded = (await folder.metadata())[BUNDLE_METADATA_KEYS.tokenizer];
  if (embedded !== undefined) return fromText(embedded, embeddedWhere);
  if (vocabSize >= GPT2_VOCAB_SIZE) {
    return {
      tokenizer: await gpt2Tokenizer(),
      source: `GPT-2's (r50k_base): no tokenizer file, and the vocabulary (${vocabSize}) holds GPT-2's ${GPT2_VOCAB_SIZE}`,
    };
  }
  throw new ModelBundleError({
    location: folder.location,
    part: 'tokenizer',
    reason: `no tokenizer, and the vocabulary (${vocabSize} tokens) is not GPT-2's (${GPT2_VOCAB_SIZE}): give the tokenizer it was trained with`,
    tried,
  });
}
