import type { BackendInfo, BackendRequest } from '@gpt2/backends';
import type { WebGpuLimitsRequest } from '@gpt2/backends/webgpu';
import { wasmPaths } from './wasm-paths.js';
import type { WorkerClient } from './worker/client.js';
import type { ModelSummary } from './worker/protocol.js';

/** Backends the selector offers, in the order `auto` tries them in a browser. */
export const BACKEND_CHOICES: readonly BackendRequest[] = [
  'auto',
  'webgpu',
  'webgl',
  'wasm',
  'cpu',
];

type Listener = () => void;

/** State shared by the pages: the worker, its backend, and the Generate page's model. */
export class App {
  readonly client: WorkerClient;
  /** The backend the worker runs on, once chosen. */
  backend: BackendInfo | undefined;
  /** What was asked for (`auto` or a name). */
  requestedBackend: BackendRequest = 'auto';
  /** WebGPU limits to request: the adapter's, or WebGPU's defaults (`?webgpuLimits=default`). */
  webgpuLimits: WebGpuLimitsRequest = 'adapter';
  /** The model loaded on the Generate page. */
  generateModel: ModelSummary | undefined;
  #switching: Promise<BackendInfo> | undefined;
  readonly #listeners = new Set<Listener>();

  constructor(client: WorkerClient) {
    this.client = client;
  }

  /** Re-render on backend and model changes. Returns an unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Switch the worker to a backend; loaded models move with it. */
  async useBackend(request: BackendRequest): Promise<BackendInfo> {
    this.requestedBackend = request;
    const switching = this.client.request({
      type: 'init-backend',
      backend: request,
      wasmPaths: wasmPaths(),
      webgpuLimits: this.webgpuLimits,
    });
    this.#switching = switching;
    try {
      this.backend = await switching;
      if (this.generateModel)
        this.generateModel = { ...this.generateModel, backend: this.backend.tfBackend };
      return this.backend;
    } finally {
      if (this.#switching === switching) this.#switching = undefined;
      this.notify();
    }
  }

  /** The active backend, waiting for a switch in progress. */
  async ready(): Promise<BackendInfo> {
    if (this.#switching) return this.#switching;
    if (this.backend) return this.backend;
    return this.useBackend(this.requestedBackend);
  }
}
