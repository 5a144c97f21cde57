import { describe, expect, it } from 'vitest';
import {
  checkpointUrls,
  classifyCheckpointFiles,
  parseJsonFile,
  tokenizerJsonKind,
} from './checkpoint-files.js';

const named = (...names: string[]) => names.map((name) => ({ name }));

describe('classifyCheckpointFiles', () => {
  it('finds the three parts of a CLI checkpoint folder', () => {
    const set = classifyCheckpointFiles(
      named(
        'config.json',
        'model.safetensors',
        'tokenizer.json',
        'optimizer.safetensors',
        'state.json',
      ),
    );
    expect(set.weights?.name).toBe('model.safetensors');
    expect(set.config?.name).toBe('config.json');
    expect(set.tokenizer?.name).toBe('tokenizer.json');
    expect(set.ignored.map((f) => f.name).sort()).toEqual(['optimizer.safetensors', 'state.json']);
  });

  it('takes the only other JSON file as the tokenizer', () => {
    const set = classifyCheckpointFiles(
      named('weights.safetensors', 'config.json', 'bpe-4096.json'),
    );
    expect(set.weights?.name).toBe('weights.safetensors');
    expect(set.tokenizer?.name).toBe('bpe-4096.json');
  });

  it('leaves parts undefined when missing', () => {
    const set = classifyCheckpointFiles(named('notes.txt'));
    expect(set.weights).toBeUndefined();
    expect(set.config).toBeUndefined();
    expect(set.ignored).toHaveLength(1);
  });
});

describe('checkpointUrls', () => {
  it('puts config and tokenizer beside a safetensors URL (Hugging Face layout)', () => {
    const urls = checkpointUrls('https://huggingface.co/gpt2/resolve/main/model.safetensors');
    expect(urls.config).toBe('https://huggingface.co/gpt2/resolve/main/config.json');
    expect(urls.tokenizer).toBe('https://huggingface.co/gpt2/resolve/main/tokenizer.json');
  });

  it('treats any other URL as a folder, relative to a base', () => {
    const urls = checkpointUrls('demo-model', 'http://127.0.0.1:8080/app/index.html');
    expect(urls.weights).toBe('http://127.0.0.1:8080/app/demo-model/model.safetensors');
    expect(urls.config).toBe('http://127.0.0.1:8080/app/demo-model/config.json');
  });

  it('rejects empty and invalid URLs with a TypeError', () => {
    expect(() => checkpointUrls('  ')).toThrow(TypeError);
    expect(() => checkpointUrls('http://[bad')).toThrow(/Not a URL/);
  });
});

describe('tokenizer JSON', () => {
  it('tells the package format from the Hugging Face one', () => {
    expect(tokenizerJsonKind({ type: 'bpe', merges: [] })).toBe('gpt2-package');
    expect(tokenizerJsonKind({ version: '1.0', model: { type: 'BPE' } })).toBe('huggingface');
    expect(tokenizerJsonKind([1, 2])).toBe('unknown');
  });

  it('names the file that is not JSON', () => {
    expect(() => parseJsonFile('{oops', 'config.json')).toThrow(/config.json is not valid JSON/);
  });
});
