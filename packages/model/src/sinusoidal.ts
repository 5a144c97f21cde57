/**
 * The fixed position table of "Attention Is All You Need" (Vaswani et al.
 * 2017, §3.5): PE[pos, 2i] = sin(pos / 10000^(2i/C)),
 * PE[pos, 2i+1] = cos(pos / 10000^(2i/C)). Row-major [positions, C].
 */
export function sinusoidalTable(positions: number, channels: number): Float32Array {
  const table = new Float32Array(positions * channels);
  for (let pos = 0; pos < positions; pos++) {
    for (let i = 0; i < channels; i += 2) {
      const angle = pos / 10000 ** (i / channels);
      table[pos * channels + i] = Math.sin(angle);
      if (i + 1 < channels) table[pos * channels + i + 1] = Math.cos(angle);
    }
  }
  return table;
}
