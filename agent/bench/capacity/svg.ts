// Small SVG line charts for the benchmark reports (latency and CPU against N, latency CDFs, soak
// memory over time). Pure string rendering, no dependency; the output is stable for equal input,
// so committed charts only change when the figures do.

export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Draw as a step function (a CDF). Default false. */
  readonly step?: boolean;
  readonly dashed?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Force the axis ranges (default: from the data, y from 0). */
  readonly xMin?: number;
  readonly xMax?: number;
  readonly yMin?: number;
  readonly yMax?: number;
  /** Horizontal reference lines, e.g. a target. */
  readonly guides?: ReadonlyArray<{ readonly y: number; readonly label: string }>;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** About `count` round tick values covering [min, max] (1, 2, 2.5 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(round(v, step));
  return out;
}

function round(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(10, digits)));
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return `${Number((v / 1000).toFixed(1))}k`;
  if (a >= 10) return String(Number(v.toFixed(0)));
  if (a >= 1) return String(Number(v.toFixed(2)));
  return String(Number(v.toFixed(3)));
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An SVG line chart: axes with round ticks, one polyline per series, a legend, optional guides. */
export function renderLineChart(spec: ChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 360;
  const m = { left: 64, right: 150, top: 36, bottom: 48 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = spec.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const guideYs = (spec.guides ?? []).map((g) => g.y);
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...guideYs];
  let xMin = spec.xMin ?? (xs.length ? Math.min(...xs) : 0);
  let xMax = spec.xMax ?? (xs.length ? Math.max(...xs) : 1);
  const yMin = spec.yMin ?? Math.min(0, ...(ys.length ? ys : [0]));
  let yMax = spec.yMax ?? (ys.length ? Math.max(...ys) * 1.08 : 1);
  if (xMax <= xMin) {
    xMin -= 1;
    xMax += 1;
  }
  if (yMax <= yMin) yMax = yMin + 1;
  const sx = (x: number): number => m.left + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - yMin) / (yMax - yMin)) * ph;
  const f = (v: number): string => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${m.left}" y="20" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  for (const t of niceTicks(yMin, yMax)) {
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(xMin, xMax, 6)) {
    out.push(
      `<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#333"/>`,
      `<text x="${f(sx(t))}" y="${m.top + ph + 16}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  for (const g of spec.guides ?? []) {
    if (g.y < yMin || g.y > yMax) continue;
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${f(sy(g.y))}" y2="${f(sy(g.y))}" stroke="#888" stroke-dasharray="2 3"/>`,
      `<text x="${m.left + pw - 4}" y="${f(sy(g.y) - 4)}" text-anchor="end" fill="#666">${escapeXml(g.label)}</text>`,
    );
  }
  spec.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const coords: string[] = [];
    pts.forEach(([x, y], k) => {
      if (s.step && k > 0) coords.push(`${f(sx(x))},${f(sy(pts[k - 1]![1]))}`);
      coords.push(`${f(sx(x))},${f(sy(y))}`);
    });
    if (coords.length > 0)
      out.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 3"' : ''} points="${coords.join(' ')}"/>`,
      );
    if (!s.step)
      for (const [x, y] of pts)
        out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.5" fill="${colour}"/>`);
    const ly = m.top + 8 + i * 16;
    out.push(
      `<line x1="${m.left + pw + 12}" x2="${m.left + pw + 32}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`,
      `<text x="${m.left + pw + 36}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
