/** A stream the CLI writes to; `isTTY` and `columns` pick the progress style. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface CliContext {
  /** Results: generated text, tables, JSON. */
  stdout: OutputStream;
  /** Everything else: backend line, progress, notes. */
  stderr: OutputStream;
  /** For `sample` and `tokenizer encode` without a file. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Folder relative paths resolve against. */
  cwd: string;
  /** Aborted on Ctrl-C (SIGINT) once {@link CliContext.catchInterrupts} was called. */
  signal: AbortSignal;
  /**
   * Make the first Ctrl-C abort {@link CliContext.signal} instead of killing the
   * process (a second one still quits at once). Commands that stop cleanly
   * (train saves a checkpoint) call this; the others keep Ctrl-C's default.
   */
  catchInterrupts(): void;
  /** `--verbose` or `GPT2_DEBUG=1`. */
  verbose: boolean;
}

/** The real process's context: stdio, environment, working folder, and a SIGINT-driven signal. */
export function processContext(verbose: boolean): CliContext {
  const controller = new AbortController();
  let interrupts = 0;
  let catching = false;
  const catchInterrupts = () => {
    if (catching) return;
    catching = true;
    process.on('SIGINT', () => {
      interrupts += 1;
      if (interrupts === 1) {
        process.stderr.write('\ngpt2: stopping cleanly (Ctrl-C again to quit now)\n');
        controller.abort();
      } else {
        process.exit(130);
      }
    });
  };
  return {
    catchInterrupts,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
    verbose,
  };
}
