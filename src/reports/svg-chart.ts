/**
 * Server-rendered SVG charts (pure): no chart library, nothing loaded from another origin, readable
 * without JavaScript. Labels come from visitors (page URLs), so every text is escaped.
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series { name: string; color: string; values: number[] }

/** Grouped vertical bars, one group per label; the y axis gets a round maximum. */
export function barChart(o: { title: string; labels: string[]; series: Series[]; width?: number; height?: number }): string {
  const width = o.width ?? 720, height = o.height ?? 220;
  const pad = { left: 40, right: 10, top: 24, bottom: 36 };
  const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...o.series.flatMap((s) => s.values)));
  const n = Math.max(1, o.labels.length);
  const groupW = plotW / n;
  const barW = Math.max(1, (groupW * 0.8) / Math.max(1, o.series.length));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" aria-label="${escapeXml(o.title)}">`);
  parts.push(`<title>${escapeXml(o.title)}</title>`);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = pad.top + plotH - (plotH * i) / 4;
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#d0d7de" stroke-width="1"/>`);
    parts.push(`<text x="${pad.left - 4}" y="${(y + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#59636e">${fmt(v)}</text>`);
  }
  const labelEvery = Math.ceil(n / 15);
  o.labels.forEach((label, i) => {
    const gx = pad.left + i * groupW + groupW * 0.1;
    o.series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const h = max ? (plotH * v) / max : 0;
      parts.push(`<rect x="${(gx + j * barW).toFixed(1)}" y="${(pad.top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${label} · ${s.name}: ${v}`)}</title></rect>`);
    });
    if (i % labelEvery === 0) {
      const short = label.length > 14 ? `${label.slice(0, 13)}…` : label;
      parts.push(`<text x="${(pad.left + i * groupW + groupW / 2).toFixed(1)}" y="${height - pad.bottom + 14}" font-size="10" text-anchor="middle" fill="#59636e">${escapeXml(short)}</text>`);
    }
  });
  o.series.forEach((s, j) => {
    const x = pad.left + j * 130;
    parts.push(`<rect x="${x}" y="6" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="15" font-size="11" fill="#1b1f24">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Horizontal bars for ranked categories (pages, departments, agents). */
export function rankChart(o: { title: string; rows: Array<{ label: string; value: number }>; width?: number; color?: string }): string {
  const width = o.width ?? 720, rowH = 22, labelW = 260;
  const height = Math.max(1, o.rows.length) * rowH + 8;
  const max = Math.max(1, ...o.rows.map((r) => r.value));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" aria-label="${escapeXml(o.title)}"><title>${escapeXml(o.title)}</title>`];
  o.rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const w = ((width - labelW - 50) * r.value) / max;
    const short = r.label.length > 40 ? `${r.label.slice(0, 39)}…` : r.label;
    parts.push(`<text x="${labelW - 6}" y="${y + 15}" font-size="11" text-anchor="end" fill="#1b1f24">${escapeXml(short)}<title>${escapeXml(r.label)}</title></text>`);
    parts.push(`<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${o.color ?? '#0b5fff'}"/>`);
    parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 15}" font-size="11" fill="#59636e">${r.value}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function niceMax(v: number): number {
  // four grid steps: small counts get whole-number ticks
  if (v <= 20) return Math.max(4, Math.ceil(v / 4) * 4);
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
