import { describe, expect, it } from 'vitest';
import {
  busyCores,
  bucketsOf,
  parseCpuTotals,
  byLabel,
  parseLoadAvg,
  parseMetrics,
  parseProcStat,
  sumOf,
  valueOf,
} from '../../../bench/capacity/prom.ts';

const TEXT = `# HELP hva_late_frames_total Inbound media frames ...
# TYPE hva_late_frames_total counter
hva_late_frames_total{app="hebrew-voice-agent"} 12
hva_event_loop_lag_seconds{quantile="0.99",app="hebrew-voice-agent"} 0.0123
hva_event_loop_lag_seconds{quantile="max",app="hebrew-voice-agent"} 0.05
hva_process_nodejs_active_handles{type="Socket",app="hebrew-voice-agent"} 7
hva_process_nodejs_active_handles{type="Timeout",app="hebrew-voice-agent"} 3
hva_apologies_total{cause="llm_error"} 2
hva_apologies_total{cause="tts_error"} 1
hva_turn_latency_seconds_bucket{le="0.5",stage="total"} 4
hva_turn_latency_seconds_bucket{le="+Inf",stage="total"} 10
hva_turn_latency_seconds_bucket{le="1",stage="total"} 9
hva_turn_latency_seconds_bucket{le="1",stage="llm"} 1
odd{label="a \\"quoted\\" value"} NaN
`;

describe('parseMetrics', () => {
  const s = parseMetrics(TEXT);

  it('reads names, labels and values; sums and picks by label', () => {
    expect(sumOf(s, 'hva_late_frames_total')).toBe(12);
    expect(sumOf(s, 'hva_apologies_total')).toBe(3);
    expect(sumOf(s, 'hva_apologies_total', { cause: 'tts_error' })).toBe(1);
    expect(sumOf(s, 'missing')).toBe(0);
    expect(valueOf(s, 'hva_event_loop_lag_seconds', { quantile: '0.99' })).toBe(0.0123);
    expect(byLabel(s, 'hva_process_nodejs_active_handles', 'type')).toEqual({ Socket: 7, Timeout: 3 });
    expect(s.find((x) => x.name === 'odd')?.labels['label']).toBe('a "quoted" value');
  });

  it('sorts histogram buckets by bound and keeps series apart', () => {
    expect(bucketsOf(s, 'hva_turn_latency_seconds', { stage: 'total' })).toEqual({
      le: [0.5, 1, Infinity],
      counts: [4, 9, 10],
    });
    expect(bucketsOf(s, 'hva_nothing')).toBeUndefined();
  });
});

describe('parseProcStat', () => {
  it('counts fields after the command, which may hold spaces and parentheses', () => {
    const line =
      '4242 (node (main) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 11 0 100 900000000 51200 18446744073709551615';
    const st = parseProcStat(line);
    expect(st.userMs).toBe(12_340);
    expect(st.systemMs).toBe(560);
    expect(st.cpuMs).toBe(12_900);
    expect(st.threads).toBe(11);
    expect(st.rssBytes).toBe(51_200 * 4096);
    expect(() => parseProcStat('garbage')).toThrow();
  });

  it('reads the running process', async () => {
    const { readProcStat } = await import('../../../bench/capacity/prom.ts');
    const st = readProcStat(process.pid);
    expect(st.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(st.threads).toBeGreaterThan(0);
  });
});

describe('machine CPU from /proc/stat', () => {
  it('counts busy ticks (not idle or iowait) and turns two readings into busy cores', () => {
    const a = parseCpuTotals('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n');
    expect(a).toEqual({ busy: 150, total: 1000 });
    const b = parseCpuTotals('cpu  400 0 150 1200 50 0 0 0 0 0\n');
    // 400 busy of 800 ticks on 2 cores: one core busy.
    expect(busyCores(a, b, 2)).toBeCloseTo(1);
    expect(() => parseCpuTotals('intr 1 2')).toThrow();
  });
});

describe('parseLoadAvg', () => {
  it('reads the three averages', () => {
    expect(parseLoadAvg('1.50 0.75 0.25 2/300 1234\n')).toEqual([1.5, 0.75, 0.25]);
  });
});
