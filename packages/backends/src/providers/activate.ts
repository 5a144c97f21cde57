import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { ProviderContext } from './provider.js';

/**
 * Switch tfjs to `tfBackend` and prove it took: `setBackend` resolves `false`
 * and leaves another backend active, without throwing, when initialisation fails.
 */
export async function switchTo(
  context: ProviderContext,
  backend: string,
  tfBackend: string,
  hint: string,
): Promise<void> {
  const { tf } = context;
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend(tfBackend);
    await tf.ready();
  } catch (error) {
    cause = error;
  }
  if (!ok || tf.getBackend() !== tfBackend) {
    throw new BackendUnavailableError({
      backend,
      reason: 'not-activated',
      message: `tfjs could not activate the '${tfBackend}' backend (active: '${tf.getBackend()}').`,
      hint,
      cause,
    });
  }
}

/**
 * True when an import failed because the package itself is not installed:
 * Node says `Cannot find package 'x'`, bundlers and Vite say `Could not
 * resolve "x"`. A quoted exact name keeps a missing file *inside* an installed
 * package (a broken native binding) from reading as a missing package.
 */
export function isModuleNotFound(error: unknown, specifier: string): boolean {
  const message = String((error as Error)?.message ?? '');
  const quoted = message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`);
  return (
    quoted && /cannot find (package|module)|could not resolve|failed to resolve/i.test(message)
  );
}
