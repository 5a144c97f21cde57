import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { ActivationContext } from '../provider.js';

/**
 * Switch tfjs to `tfBackend` and prove it took: `setBackend` resolves `false`
 * and leaves another backend active, without throwing, when initialisation fails.
 */
export async function switchTo(
  context: ActivationContext,
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
  const message = String((error as Error)?.message ?? error);
  const quoted = message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`);
  return (
    quoted && /cannot find (package|module)|could not resolve|failed to resolve/i.test(message)
  );
}

/**
 * Import one of the tfjs backend packages, which are optional peer
 * dependencies: a user installs the ones they use. `load` is a literal
 * `import('…')` so that bundlers see and bundle the package.
 */
export async function importBackendPackage<Module>(
  backend: string,
  specifier: string,
  load: () => Promise<Module>,
): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    const missing = isModuleNotFound(error, specifier);
    throw new BackendUnavailableError({
      backend,
      reason: missing ? 'missing' : 'broken',
      message: missing
        ? `The '${backend}' backend needs ${specifier}, which is not installed (it is an optional peer dependency of @gpt2/backends).`
        : `${specifier} is installed but failed to load: ${firstLine(error)}`,
      hint: `run \`pnpm add ${specifier}@4.22.0\` (or npm install), or pick another backend.`,
      cause: error,
    });
  }
}

/** The first line of an error's message. */
export function firstLine(error: unknown): string {
  const text = String((error as Error)?.message ?? error);
  return text.split('\n')[0] ?? text;
}
