/**
 * Split a stream of text into lines (without their `\n` / `\r\n`), holding one line at a time.
 * Yields `[lineNumber, line]` with 1-based line numbers.
 */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<[number, string]> {
  let partial = '';
  let lineNumber = 0;
  for await (const chunk of chunks) {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline !== -1) {
      const line = partial + chunk.slice(start, newline);
      partial = '';
      lineNumber++;
      yield [lineNumber, line.endsWith('\r') ? line.slice(0, -1) : line];
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    partial += chunk.slice(start);
  }
  if (partial.length > 0) {
    lineNumber++;
    yield [lineNumber, partial.endsWith('\r') ? partial.slice(0, -1) : partial];
  }
}
