// DTMF as in-band audio (ITU-T Q.23 dual tones), 8 kHz G.711 mu-law, for the send_dtmf action:
// Twilio's Media Streams take no DTMF message from the server, and replacing the call's TwiML
// with <Play digits> would end the stream, so the tones are played like speech. Pure.
import { encodeMulaw } from '../audio/mulaw.ts';

const ROWS = [697, 770, 852, 941] as const;
const COLS = [1209, 1336, 1477, 1633] as const;
const KEYS = ['123A', '456B', '789C', '*0#D'] as const;
const RATE = 8000;

export interface DtmfTiming {
  /** Tone length per digit (receivers need at least 40 ms). Default 100. */
  readonly toneMs?: number;
  /** Silence after each digit. Default 100. */
  readonly gapMs?: number;
  /** A 'w' in the digits: this much silence. Default 500 (as in TwiML sendDigits). */
  readonly pauseMs?: number;
}

/** Row and column frequency of a key, or undefined. */
export function dtmfFrequencies(key: string): [number, number] | undefined {
  for (let r = 0; r < 4; r++) {
    const c = KEYS[r]!.indexOf(key.toUpperCase());
    if (c >= 0) return [ROWS[r]!, COLS[c]!];
  }
  return undefined;
}

/** Mu-law audio of the digits (0-9, *, #, A-D; w = pause). Throws on any other character. */
export function dtmfAudio(digits: string, timing: DtmfTiming = {}): Buffer {
  const tone = Math.round(((timing.toneMs ?? 100) * RATE) / 1000);
  const gap = Math.round(((timing.gapMs ?? 100) * RATE) / 1000);
  const pause = Math.round(((timing.pauseMs ?? 500) * RATE) / 1000);
  let total = 0;
  for (const d of digits) total += d === 'w' ? pause : tone + gap;
  const pcm = new Int16Array(total);
  let at = 0;
  for (const d of digits) {
    if (d === 'w') {
      at += pause;
      continue;
    }
    const f = dtmfFrequencies(d);
    if (f === undefined) throw new Error(`not a DTMF key: ${JSON.stringify(d)}`);
    // Each tone at about -9 dBFS; the pair stays well clear of clipping (Q.23 twist 0 dB).
    for (let i = 0; i < tone; i++) {
      const t = i / RATE;
      pcm[at + i] = Math.round(9000 * (Math.sin(2 * Math.PI * f[0] * t) + Math.sin(2 * Math.PI * f[1] * t)));
    }
    at += tone + gap;
  }
  return encodeMulaw(pcm);
}
