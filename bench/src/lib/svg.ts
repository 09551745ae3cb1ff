/**
 * Grouped bar charts as plain SVG, so results render on GitHub without a plotting dependency.
 */

/** One group of bars (a benchmark cell) and its values, one per series. */
export interface BarGroup {
  readonly label: string;
  readonly values: readonly number[];
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function escape(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A grouped bar chart with a legend and a y axis in `unit`. */
export function barChart(
  title: string,
  unit: string,
  series: readonly string[],
  groups: readonly BarGroup[],
): string {
  const width = Math.max(720, 120 + groups.length * (series.length * 22 + 30));
  const height = 360;
  const [left, top, bottom] = [60, 50, 90];
  const plotH = height - top - bottom;
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.values.filter(Number.isFinite)));
  const groupW = (width - left - 20) / Math.max(1, groups.length);
  const barW = Math.min(22, (groupW - 20) / series.length);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="black"/>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    out.push(
      `<text x="${left - 4}" y="${y + 4}" text-anchor="end">${v.toFixed(v >= 100 ? 0 : 1)}</text>`,
      `<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#ddd"/>`,
    );
  }
  out.push(
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${escape(unit)}</text>`,
  );
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 10;
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v)) return;
      const h = Math.round(((plotH * v) / max) * 10) / 10;
      out.push(
        `<rect x="${x0 + si * barW}" y="${top + plotH - h}" width="${barW - 2}" height="${h}" fill="${COLOURS[si % COLOURS.length]}"><title>${escape(`${series[si]}: ${v.toFixed(1)} ${unit}`)}</title></rect>`,
      );
    });
    out.push(
      `<text x="${x0 + (series.length * barW) / 2}" y="${top + plotH + 14}" text-anchor="middle">${escape(g.label)}</text>`,
    );
  });
  series.forEach((s, si) => {
    const x = left + si * 130;
    const y = height - 30;
    out.push(
      `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${COLOURS[si % COLOURS.length]}"/>`,
      `<text x="${x + 14}" y="${y}">${escape(s)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
