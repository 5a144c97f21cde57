/**
 * The model worker's entry point: every tensor of the app lives in this
 * thread, so sampling and training never freeze the page.
 */
import { createHandlers, type WorkerState } from './handlers.js';
import { type HostEndpoint, serveRequests } from './host.js';

const state: WorkerState = {
  backend: undefined,
  models: new Map(),
  training: undefined,
  adapter: undefined,
};
serveRequests(self as unknown as HostEndpoint, createHandlers(state));
