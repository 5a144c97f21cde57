export { createFakeModel, type FakeModelOptions } from './fake-model.js';
export { createFakeTokenizer, FAKE_ALPHABET, FAKE_EOT_TEXT } from './fake-tokenizer.js';
export { type CacheComparison, compareCachedUncached } from './real-model-checks.js';
