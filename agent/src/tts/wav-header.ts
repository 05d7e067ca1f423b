// Google's non-streaming MULAW/LINEAR16 output is a complete WAV file; a phone line needs only the
// samples. Pure parsing: walk the RIFF chunks to `data`, tolerate extra chunks (LIST, fact, ...).

export interface WavInfo {
  /** 1 = PCM, 6 = A-law, 7 = mu-law (WAVE_FORMAT_* codes). */
  readonly audioFormat: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** Byte offset of the first sample. */
  readonly dataOffset: number;
  /** Bytes of sample data actually present (may be less than declared in a truncated file). */
  readonly dataLength: number;
}

export class WavHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavHeaderError';
  }
}

/** True when the buffer starts like a RIFF/WAVE file. */
export function hasWavHeader(buf: Uint8Array): boolean {
  return (
    buf.length >= 12 &&
    buf[0] === 0x52 && // R
    buf[1] === 0x49 && // I
    buf[2] === 0x46 && // F
    buf[3] === 0x46 && // F
    buf[8] === 0x57 && // W
    buf[9] === 0x41 && // A
    buf[10] === 0x56 && // V
    buf[11] === 0x45 // E
  );
}

/** Parses a RIFF/WAVE header up to the data chunk. Throws WavHeaderError on a malformed file. */
export function parseWavHeader(buf: Uint8Array): WavInfo {
  if (!hasWavHeader(buf)) throw new WavHeaderError('not a RIFF/WAVE buffer');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 12;
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataLength'> | undefined;
  while (offset + 8 <= buf.length) {
    const id = String.fromCharCode(buf[offset]!, buf[offset + 1]!, buf[offset + 2]!, buf[offset + 3]!);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavHeaderError('fmt chunk is truncated');
      fmt = {
        audioFormat: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavHeaderError('data chunk before fmt chunk');
      // Streaming writers put 0 or 0xFFFFFFFF as the size; the data then runs to the end.
      const declared = size === 0 || size === 0xffffffff ? buf.length - body : size;
      return { ...fmt, dataOffset: body, dataLength: Math.min(declared, buf.length - body) };
    }
    offset = body + size + (size % 2); // chunks are word-aligned
  }
  throw new WavHeaderError('no data chunk found');
}

/** The sample bytes of a WAV buffer; a buffer without a RIFF header is returned unchanged. */
export function stripWavHeader(buf: Buffer): Buffer {
  if (!hasWavHeader(buf)) return buf;
  const info = parseWavHeader(buf);
  return buf.subarray(info.dataOffset, info.dataOffset + info.dataLength);
}

/** Builds a 44/46-byte WAV header (PCM16 or 8-bit mu-law), for the TTS emulator and WAV exports. */
export function buildWavHeader(options: {
  format: 'pcm16' | 'mulaw';
  sampleRate: number;
  dataLength: number;
}): Buffer {
  const mulaw = options.format === 'mulaw';
  const bits = mulaw ? 8 : 16;
  const fmtSize = mulaw ? 18 : 16; // non-PCM formats carry cbSize
  const header = Buffer.alloc(12 + 8 + fmtSize + 8);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(header.length - 8 + options.dataLength, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(fmtSize, 16);
  header.writeUInt16LE(mulaw ? 7 : 1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(options.sampleRate, 24);
  header.writeUInt32LE((options.sampleRate * bits) / 8, 28);
  header.writeUInt16LE(bits / 8, 32);
  header.writeUInt16LE(bits, 34);
  if (mulaw) header.writeUInt16LE(0, 36);
  const dataAt = 20 + fmtSize;
  header.write('data', dataAt, 'ascii');
  header.writeUInt32LE(options.dataLength, dataAt + 4);
  return header;
}
