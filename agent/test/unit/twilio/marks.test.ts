import { describe, expect, it } from 'vitest';
import { MarkTracker } from '../../../src/twilio/marks.ts';

describe('MarkTracker', () => {
  it('gives every mark a unique name, even with the same label', () => {
    const t = new MarkTracker();
    const names = [t.register('sentence'), t.register('sentence'), t.register('other')];
    expect(new Set(names).size).toBe(3);
    expect(names[0]).toContain('sentence');
  });

  it('resolves echoes FIFO as played and tracks played bytes', () => {
    const t = new MarkTracker();
    t.noteAudioSent(800);
    const a = t.register('a');
    t.noteAudioSent(1600);
    const b = t.register('b');
    expect(t.bytesSent).toBe(2400);
    expect(t.onEcho(a)).toEqual({
      known: true,
      resolved: [{ name: a, label: 'a', outcome: 'played', bytesBefore: 800 }],
    });
    expect(t.bytesPlayed).toBe(800);
    expect(t.onEcho(b)).toMatchObject({
      known: true,
      resolved: [{ name: b, outcome: 'played', bytesBefore: 2400 }],
    });
    expect(t.bytesPlayed).toBe(2400);
    expect(t.pendingMarks).toHaveLength(0);
  });

  it('reports echoes of marks pending at a clear as cleared, and later marks as played', () => {
    const t = new MarkTracker();
    t.noteAudioSent(1000);
    const a = t.register('a');
    t.noteAudioSent(1000);
    const b = t.register('b');
    const echoA = t.onEcho(a);
    expect(echoA.known && echoA.resolved[0]!.outcome).toBe('played');
    t.noteClear();
    t.noteAudioSent(500);
    const c = t.register('c');
    // Twilio echoes b immediately after the clear: it looks like playback but was dropped.
    const echoB = t.onEcho(b);
    expect(echoB.known && echoB.resolved[0]!.outcome).toBe('cleared');
    expect(t.bytesPlayed).toBe(1000);
    const echoC = t.onEcho(c);
    expect(echoC.known && echoC.resolved[0]!.outcome).toBe('played');
    expect(t.bytesPlayed).toBe(2500);
    expect(t.clearsSent).toBe(1);
  });

  it('resolves skipped earlier marks in order when a later echo arrives', () => {
    const t = new MarkTracker();
    const a = t.register('a');
    const b = t.register('b');
    const c = t.register('c');
    const r = t.onEcho(c);
    expect(r.known && r.resolved.map((x) => x.name)).toEqual([a, b, c]);
  });

  it('reports unknown and repeated echoes without throwing', () => {
    const t = new MarkTracker();
    const a = t.register('a');
    expect(t.onEcho('nope')).toEqual({ known: false, name: 'nope' });
    expect(t.onEcho(a).known).toBe(true);
    expect(t.onEcho(a)).toEqual({ known: false, name: a });
  });
});
