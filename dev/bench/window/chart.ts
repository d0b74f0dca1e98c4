/**
 * A hand-written SVG chart (no dependencies): the night's window against the number of connections for both
 * designs (log-log, with the ideal bound and the 30-minute goal).
 */
export interface Series {
  name: string;
  color: string;
  dash?: string;
  /** [x, y, measured?] */
  points: Array<[number, number, boolean]>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceLogTicks(min: number, max: number, candidates: number[]): number[] {
  return candidates.filter((v) => v >= min * 0.999 && v <= max * 1.001);
}

export function windowChart(o: {
  title: string;
  series: Series[];
  goalMinutes: number;
  xTicks: number[];
}): string {
  const W = 760, H = 470, m = { l: 70, r: 190, t: 46, b: 66 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => y > 0 && Number.isFinite(y));
  const xmin = Math.min(...xs) / 1.3, xmax = Math.max(...xs) * 1.3;
  const ymin = Math.min(0.5, ...ys) / 1.5, ymax = Math.max(o.goalMinutes * 2, ...ys) * 1.5;
  const lx = (x: number) => m.l + ((Math.log10(x) - Math.log10(xmin)) / (Math.log10(xmax) - Math.log10(xmin))) * pw;
  const ly = (y: number) => m.t + ph - ((Math.log10(y) - Math.log10(ymin)) / (Math.log10(ymax) - Math.log10(ymin))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.l}" y="24" font-size="15" font-weight="600">${esc(o.title)}</text>`);
  const yTicks = niceLogTicks(ymin, ymax, [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1440, 3000, 6000, 14400, 30000]);
  for (const t of yTicks) {
    const y = ly(t);
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    const label = t >= 120 ? `${+(t / 60).toFixed(1)} h` : `${t} min`;
    out.push(`<text x="${m.l - 8}" y="${y + 4}" text-anchor="end" fill="#555">${label}</text>`);
  }
  let lastLabel = -Infinity;
  for (const t of o.xTicks) {
    const x = lx(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" stroke="#eee"/>`);
    const dy = x - lastLabel < 36 ? 32 : 18; // stagger labels that would overlap
    if (dy === 18) lastLabel = x;
    out.push(`<text x="${x}" y="${m.t + ph + dy}" text-anchor="middle" fill="#555">${t.toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle" fill="#333">due connections (log)</text>`);
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">window: until every connection is synced (log)</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  const gy = ly(o.goalMinutes);
  out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${gy}" y2="${gy}" stroke="#c00" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${m.l + pw - 4}" y="${gy - 6}" text-anchor="end" fill="#c00">goal: ${o.goalMinutes} min</text>`);
  o.series.forEach((s, si) => {
    const pts = s.points.filter((p) => p[1] > 0 && Number.isFinite(p[1]));
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''} points="${pts.map((p) => `${lx(p[0]).toFixed(1)},${ly(p[1]).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) {
      out.push(`<circle cx="${lx(p[0]).toFixed(1)}" cy="${ly(p[1]).toFixed(1)}" r="5" fill="${p[2] ? s.color : '#fff'}" stroke="${s.color}" stroke-width="2"/>`);
    }
    const ly0 = m.t + 10 + si * 20;
    out.push(`<line x1="${m.l + pw + 14}" x2="${m.l + pw + 38}" y1="${ly0}" y2="${ly0}" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${m.l + pw + 44}" y="${ly0 + 4}">${esc(s.name)}</text>`);
  });
  const ny = m.t + 10 + o.series.length * 20 + 10;
  out.push(`<circle cx="${m.l + pw + 20}" cy="${ny}" r="5" fill="#333"/><text x="${m.l + pw + 32}" y="${ny + 4}">measured</text>`);
  out.push(`<circle cx="${m.l + pw + 20}" cy="${ny + 20}" r="5" fill="#fff" stroke="#333" stroke-width="2"/><text x="${m.l + pw + 32}" y="${ny + 24}">modelled / extrapolated</text>`);
  out.push('</svg>');
  return out.join('\n');
}
