// Runs one case of cases.ts through a loaded softpool-wasm namespace (`lib`): forward, then
// backward. Plain JavaScript with no imports, so that Node, Deno and browser pages all load it
// as it is. Values travel as plain arrays (they cross process and page boundaries).
export function runCase(lib, c) {
  const x = { data: Float32Array.from(c.x), shape: c.shape };
  const y = lib[c.fn](x, c.options);
  const g = { data: Float32Array.from(c.g), shape: y.shape };
  const b = lib[c.fn + 'Backward'](x, g, c.options);
  return {
    y: Array.from(y.data),
    yShape: Array.from(y.shape),
    gradInput: Array.from(b.gradInput.data),
    gradInputShape: Array.from(b.gradInput.shape),
    gradBeta: b.gradBeta,
  };
}

export function runCases(lib, cases) {
  return cases.map((c) => {
    try {
      return runCase(lib, c);
    } catch (e) {
      return { error: String(e && e.stack || e) };
    }
  });
}
