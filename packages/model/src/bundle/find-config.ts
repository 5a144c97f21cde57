/** The model config of a bundle (rule 2 of the README, "Model bundles"). */
import { type GPT2Config, validateConfig } from '../config.js';
import { configFromHF } from '../hf-config.js';
import { BUNDLE_FILES, BUNDLE_METADATA_KEYS } from './layout.js';
import { ModelBundleError } from './model-bundle-error.js';
import { type ModelFolder, parseJson } from './model-folder.js';

/**
 * `config.json` (Hugging Face form), else the weights' metadata
 * `gpt2.config`, else `trainer_state.json`'s `model`.
 * @throws ModelBundleError listing the three places when none has it;
 *   ConfigError for a config that is there but invalid.
 */
export async function findConfig(
  folder: ModelFolder,
): Promise<{ config: GPT2Config; source: string }> {
  const tried: string[] = [];
  const file = folder.locate(BUNDLE_FILES.config);
  tried.push(file);
  const text = await folder.readText(BUNDLE_FILES.config);
  if (text !== undefined) {
    const json = parseJson(text, file, 'config') as Record<string, unknown>;
    return { config: configFromHF(json), source: file };
  }
  const embeddedWhere = `${folder.weightsLocation} metadata '${BUNDLE_METADATA_KEYS.config}'`;
  tried.push(embeddedWhere);
  const embedded = (await folder.metadata())[BUNDLE_METADATA_KEYS.config];
  if (embedded !== undefined) {
    const json = parseJson(embedded, embeddedWhere, 'config') as Record<string, unknown>;
    return { config: configFromHF(json), source: embeddedWhere };
  }
  const stateWhere = `${folder.locate(BUNDLE_FILES.trainerState)} (model)`;
  tried.push(stateWhere);
  const saved = (await folder.trainerState())?.model;
  if (typeof saved === 'object' && saved !== null) {
    return { config: validateConfig(saved as GPT2Config), source: stateWhere };
  }
  throw new ModelBundleError({
    location: folder.location,
    part: 'config',
    reason: `no model config: expected ${BUNDLE_FILES.config} beside the weights`,
    tried,
  });
}
