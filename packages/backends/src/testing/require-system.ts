/**
 * For tests that need a system package (Chromium's SwiftShader, libvulkan).
 * On a developer machine without it, the test is skipped with a loud message;
 * under CI=true a missing package is a failure, never a skip.
 */
export function systemRequirement(what: string, present: boolean, install: string): boolean {
  if (present) return true;
  const message = `\n*** ${what} is not installed: ${install}\n`;
  if (process.env.CI === 'true') throw new Error(`CI requires ${what}. ${message}`);
  console.warn(`${message}*** Skipping the tests that need it.\n`);
  return false;
}
