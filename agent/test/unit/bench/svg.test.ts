import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, niceTicks, renderLineChart } from '../../../bench/capacity/svg.ts';

describe('niceTicks', () => {
  it('gives round steps covering the range', () => {
    expect(niceTicks(0, 500)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(0, 1.2)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 0)).toEqual([0]);
    expect(niceTicks(0, Number.NaN)).toEqual([]);
  });

  it('formats ticks compactly', () => {
    expect(formatTick(1500)).toBe('1.5k');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(20)).toBe('20');
  });
});

describe('renderLineChart', () => {
  const svg = renderLineChart({
    title: 'Latency <p95> & more',
    xLabel: 'calls',
    yLabel: 's',
    series: [
      {
        name: 'p50',
        points: [
          [1, 0.5],
          [50, 0.6],
          [100, 0.9],
        ],
      },
      {
        name: 'cdf',
        points: [
          [0.1, 0.5],
          [0.2, 1],
        ],
        step: true,
        dashed: true,
      },
    ],
    guides: [{ y: 1.5, label: 'promise' }],
  });

  it('is a well-formed standalone SVG with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Latency &#60;p95&#62; &#38; more');
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(escapeXml(`a"b'`)).toBe('a&#34;b&#39;');
  });

  it('draws one polyline per series, points for plain series, a step for CDFs, legend and guide', () => {
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    // Step: the second point is preceded by a corner at the first point's y.
    const step = /stroke-dasharray="6 3" points="([^"]+)"/.exec(svg)![1]!.split(' ');
    expect(step).toHaveLength(3);
    expect(step[1]!.split(',')[1]).toBe(step[0]!.split(',')[1]);
    expect(svg).toContain('>p50</text>');
    expect(svg).toContain('>promise</text>');
  });

  it('is the same text for the same input and survives empty series', () => {
    const spec = { title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [] }] };
    expect(renderLineChart(spec)).toBe(renderLineChart(spec));
    expect(renderLineChart(spec)).not.toMatch(/NaN/);
  });
});
