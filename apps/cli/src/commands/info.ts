import { type BackendInfo, describeBackend, initBackend } from '@gpt2/backends';
import { countParameters, flopsPerToken, formatMemoryTable } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import { backendOptions, selectBackend } from '../backend.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UsageError } from '../errors/usage-error.js';
import { resolvePath } from '../io/files.js';
import { activeMemoryLimit, estimateRunMemory } from '../memory.js';
import { loadModelConfig, PRESET_NAMES } from '../model-config.js';
import { formatCount } from '../progress/format.js';
import { formatTable } from '../table.js';
import { cliVersion, packageVersion } from '../version.js';
import type { infoSpec } from './specs.js';

/** The packages the CLI is a shell over. */
const WORKSPACE_PACKAGES = [
  '@gpt2/backends',
  '@gpt2/tokenizer',
  '@gpt2/data',
  '@gpt2/model',
  '@gpt2/trainer',
  '@gpt2/sampler',
  '@gpt2/eval',
];

/** Backends `info --all` probes beyond what `auto` tried. */
const PROBED = ['node-gpu', 'node', 'wasm', 'cpu', 'webgpu'] as const;

/** `gpt2 info`: see its spec in specs.ts. */
export async function runInfo(
  { values, positionals }: ParsedCommand<typeof infoSpec>,
  context: CliContext,
): Promise<void> {
  const versions: Record<string, string> = {
    '@gpt2/cli': cliVersion(),
    ...Object.fromEntries(WORKSPACE_PACKAGES.map((name) => [name, packageVersion(name)])),
    '@tensorflow/tfjs-core': tf.version_core,
    node: process.versions.node,
  };
  const selected: BackendInfo = await selectBackend(values.backend, context);
  const backends: Array<{ backend: string; available: boolean; detail: string }> =
    selected.attempts.map((attempt) => ({
      backend: attempt.backend,
      available: attempt.ok,
      detail: attempt.ok ? describeBackend(selected) : attempt.reason,
    }));
  if (values.all) {
    for (const name of PROBED) {
      if (backends.some((b) => b.backend === name)) continue;
      try {
        const info = await initBackend(name, backendOptions(context));
        backends.push({ backend: name, available: true, detail: describeBackend(info) });
      } catch (error) {
        backends.push({
          backend: name,
          available: false,
          detail: ((error as Error).message.split('\n')[0] ?? '').trim(),
        });
      }
    }
    // Leave the selected backend active, as the rest of a session would expect.
    await initBackend(selected.name, backendOptions(context));
  }
  const source = positionals[0];
  const model = source
    ? await (async () => {
        const config = await loadModelConfig(
          PRESET_NAMES.includes(source as never) ? source : resolvePath(context, source),
        );
        return {
          source,
          config,
          parameters: countParameters(config),
          trainingFlopsPerToken: flopsPerToken(config, { training: true }),
        };
      })()
    : undefined;
  if (values.memory && !model) {
    throw new UsageError('info --memory needs a MODEL: a preset name, config file or checkpoint.');
  }
  const memory =
    values.memory && model
      ? (() => {
          const common = {
            batchSize: values.batch ?? 1,
            contextLength: values.context ?? model.config.nPositions,
          };
          return {
            limit: activeMemoryLimit(),
            training: estimateRunMemory(
              model.config,
              { ...common, training: true, recompute: values.recompute ?? false },
              selected,
            ),
            sampling: estimateRunMemory(
              model.config,
              { ...common, inference: 'generate' },
              selected,
            ),
          };
        })()
      : undefined;
  if (values.json) {
    context.stdout.write(`${JSON.stringify({ versions, backends, model, memory }, null, 2)}\n`);
    return;
  }
  context.stdout.write(
    formatTable({
      header: ['package', 'version'],
      rows: Object.entries(versions),
    }),
  );
  context.stdout.write('\n');
  context.stdout.write(
    formatTable({
      header: ['backend', 'available', 'detail'],
      rows: backends.map((b) => [b.backend, b.available ? 'yes' : 'no', b.detail]),
    }),
  );
  if (model) {
    const c = model.config;
    context.stdout.write('\n');
    context.stdout.write(
      formatTable({
        header: ['model', 'value'],
        rows: [
          ['source', model.source],
          ['layers', c.nLayer],
          ['heads', c.nHead],
          ['width (n_embd)', c.nEmbd],
          ['context (n_positions)', c.nPositions],
          ['vocabulary', c.vocabSize],
          [
            'parameters',
            `${model.parameters.toLocaleString('en-US')} (${formatCount(model.parameters)})`,
          ],
          ['training FLOPs/token', formatCount(model.trainingFlopsPerToken)],
        ],
        alignRight: [],
      }),
    );
  }
  if (memory) {
    for (const estimate of [memory.training, memory.sampling]) {
      context.stdout.write(`\n${formatMemoryTable(estimate, memory.limit)}\n`);
    }
  }
}
