// A hand-written grouped bar chart: one group per (workload, pass), one bar per
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
 * @param {{ groups: {label: string, sub: string, detail?: string}[], series: string[], value: (g: number, s: number) => number|null, title: string, subtitle: string }} c
 */
export function barChart({ groups, series, value, title, subtitle }) {
  const left = 80, right = 24, top = 92, bottom = 100;
  const barW = 22, barGap = 3, groupGap = 30;
  const groupW = series.length * (barW + barGap) - barGap;
  const legendW = series.reduce((a, name) => a + 18 + name.length * 7 + 14, 0);
  const plotW = Math.max(groups.length * (groupW + groupGap) + groupGap, legendW, 360);
  const plotH = 340;
  const width = left + plotW + right, height = top + plotH + bottom;
  let vmax = 0;
  groups.forEach((_, g) => series.forEach((_, s) => { const v = value(g, s); if (v != null && v > vmax) vmax = v; }));
  const { max, step } = niceScale(vmax);
  const yOf = (v) => top + plotH - (v / max) * plotH;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${left}" y="42" fill="#555">${esc(subtitle)}</text>`);

  // grid and y axis
  for (let v = 0; v <= max + 1e-9; v += step) {
    const y = yOf(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="${v === 0 ? '#000' : '#e0e0e0'}"/>`);
    const tick = Number.isInteger(step) ? v.toFixed(0) : String(+v.toPrecision(6));
    out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(tick)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#000"/>`);
  out.push(`<text transform="translate(20 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">throughput (million input elements / s, higher is better)</text>`);

  // bars
  groups.forEach((grp, g) => {
    const gx = left + groupGap + g * (groupW + groupGap);
    series.forEach((name, s) => {
      const v = value(g, s);
      const x = gx + s * (barW + barGap);
      const cx = (x + barW / 2).toFixed(1);
      if (v == null) {
        out.push(`<text x="${cx}" y="${top + plotH - 4}" text-anchor="middle" fill="#999">–</text>`);
        return;
      }
      const y = yOf(v);
      out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${barW}" height="${(top + plotH - y).toFixed(1)}" fill="${COLORS[s % COLORS.length]}"><title>${esc(`${grp.label} ${grp.sub} · ${name}: ${fmt(v)} Melem/s`)}</title></rect>`);
      out.push(`<text transform="translate(${cx} ${(y - 4).toFixed(1)}) rotate(-90)" font-size="10" fill="#333">${esc(fmt(v))}</text>`);
    });
    const mid = gx + groupW / 2;
    out.push(`<text x="${mid}" y="${top + plotH + 18}" text-anchor="middle" font-weight="bold">${esc(grp.label)}</text>`);
    out.push(`<text x="${mid}" y="${top + plotH + 33}" text-anchor="middle">${esc(grp.sub)}</text>`);
    if (grp.detail) out.push(`<text x="${mid}" y="${top + plotH + 47}" text-anchor="middle" font-size="10" fill="#555">${esc(grp.detail)}</text>`);
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle" font-size="13">workload and pass (– = not run)</text>`);

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
