// A hand-written grouped bar chart: one panel per pass, one group per workload, one bar per
// implementation, height = Melem/s. No plotting dependency.

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" axis maximum and tick step for values up to vmax. */
function niceScale(vmax, ticks = 6) {
  if (!(vmax > 0)) return { max: 1, step: 0.2 };
  const raw = vmax / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  return { max: Math.ceil(vmax / step) * step, step };
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * Panels stacked vertically, each with its own y scale; a group is one bar per series.
 * @param {{ panels: { title: string, groups: { label: string, sub?: string, detail?: string, values: (number|null)[] }[] }[], series: string[], title: string, subtitle: string }} c
 */
export function barChart({ panels, series, title, subtitle }) {
  const left = 80, right = 24, top = 92, panelTop = 24, bottom = 62, footer = 30;
  const barW = 22, barGap = 3, groupGap = 30;
  const groupW = series.length * (barW + barGap) - barGap;
  const legendW = series.reduce((a, name) => a + 18 + name.length * 7 + 14, 0);
  const maxGroups = Math.max(...panels.map((p) => p.groups.length));
  const plotW = Math.max(maxGroups * (groupW + groupGap) + groupGap, legendW, 360);
  const plotH = 300;
  const panelH = panelTop + plotH + bottom;
  const width = left + plotW + right, height = top + panels.length * panelH + footer;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${left}" y="42" fill="#555">${esc(subtitle)}</text>`);

  panels.forEach((panel, pi) => {
    const pTop = top + pi * panelH + panelTop;
    let vmax = 0;
    for (const grp of panel.groups) for (const v of grp.values) if (v != null && v > vmax) vmax = v;
    const { max, step } = niceScale(vmax);
    const yOf = (v) => pTop + plotH - (v / max) * plotH;
    out.push(`<text x="${left}" y="${pTop - 8}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);

    // grid and y axis
    for (let v = 0; v <= max + 1e-9; v += step) {
      const y = yOf(v).toFixed(1);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="${v === 0 ? '#000' : '#e0e0e0'}"/>`);
      const tick = Number.isInteger(step) ? v.toFixed(0) : String(+v.toPrecision(6));
      out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(tick)}</text>`);
    }
    out.push(`<line x1="${left}" x2="${left}" y1="${pTop}" y2="${pTop + plotH}" stroke="#000"/>`);
    out.push(`<text transform="translate(20 ${pTop + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">Melem/s (higher is better)</text>`);

    // bars
    panel.groups.forEach((grp, g) => {
      const gx = left + groupGap + g * (groupW + groupGap);
      series.forEach((name, s) => {
        const v = grp.values[s];
        const x = gx + s * (barW + barGap);
        const cx = (x + barW / 2).toFixed(1);
        if (v == null) {
          out.push(`<text x="${cx}" y="${pTop + plotH - 4}" text-anchor="middle" fill="#999">–</text>`);
          return;
        }
        const y = yOf(v);
        out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${barW}" height="${(pTop + plotH - y).toFixed(1)}" fill="${COLORS[s % COLORS.length]}"><title>${esc(`${grp.label}${grp.sub ? ` ${grp.sub}` : ''} · ${name}: ${fmt(v)} Melem/s`)}</title></rect>`);
        out.push(`<text transform="translate(${cx} ${(y - 4).toFixed(1)}) rotate(-90)" font-size="10" fill="#333">${esc(fmt(v))}</text>`);
      });
      const mid = gx + groupW / 2;
      out.push(`<text x="${mid}" y="${pTop + plotH + 18}" text-anchor="middle" font-weight="bold">${esc(grp.label)}</text>`);
      if (grp.sub) out.push(`<text x="${mid}" y="${pTop + plotH + 33}" text-anchor="middle">${esc(grp.sub)}</text>`);
      if (grp.detail) out.push(`<text x="${mid}" y="${pTop + plotH + (grp.sub ? 47 : 33)}" text-anchor="middle" font-size="10" fill="#555">${esc(grp.detail)}</text>`);
    });
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle" font-size="13">throughput in million input elements / s, one group per workload (– = not run)</text>`);

  // legend, top right, one row
  let lx = left + plotW;
  const items = series.map((name, s) => ({ name, s, w: 18 + name.length * 7 + 14 })).reverse(); // same widths as legendW
  for (const it of items) {
    lx -= it.w;
    out.push(`<rect x="${lx}" y="58" width="12" height="12" fill="${COLORS[it.s % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 17}" y="68">${esc(it.name)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
