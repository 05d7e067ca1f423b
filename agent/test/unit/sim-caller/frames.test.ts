import * as ws from 'ws';
import { describe, expect, it } from 'vitest';
import { clipFrames, frameBase64, SILENCE_FRAME } from '../../../src/sim/caller/frames.ts';
import { isAscii, maskedTextFrame, maskKeys } from '../../../src/sim/caller/ws-frame.ts';

/** ws's frame writer (exported by the package, not declared in @types/ws). */
const { Sender } = ws as unknown as {
  Sender: new (
    socket: unknown,
    extensions: object,
    generateMask: (mask: Buffer) => void,
  ) => { send(data: string, options: object): void };
};

/** The bytes ws's Sender writes for `text` as a client masking with `key` (big-endian). */
function wsBytes(text: string, key: number): Buffer {
  const chunks: Buffer[] = [];
  const socket = {
    cork() {},
    uncork() {},
    write(data: Buffer | string, cb?: () => void) {
      chunks.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
      cb?.();
      return true;
    },
  };
  const sender = new Sender(socket, {}, (mask: Buffer) => mask.writeUInt32BE(key >>> 0, 0));
  sender.send(text, { binary: false, compress: false, fin: true, mask: true });
  return Buffer.concat(chunks);
}

describe('media frames written straight to the socket (ws-frame.ts)', () => {
  it.each([0, 5, 125, 126, 127, 300, 65535, 65536, 70000])(
    'a %i-byte text message is byte for byte what ws sends with the same masking key',
    (n) => {
      const text = 'a{"b":1}'.repeat(Math.ceil(n / 8)).slice(0, n);
      for (const key of [0x01020304, 0xdeadbeef, 0x80000001])
        expect(maskedTextFrame(text, key)).toEqual(wsBytes(text, key));
    },
  );

  it('masks with a different, never-zero key per frame, so the server must unmask each one', () => {
    const next = maskKeys(0);
    const keys = Array.from({ length: 1000 }, next);
    expect(keys.every((k) => k !== 0 && k === k >>> 0)).toBe(true);
    expect(new Set(keys).size).toBe(1000);
    const a = maskedTextFrame('{"event":"media"}', keys[0]!);
    const b = maskedTextFrame('{"event":"media"}', keys[1]!);
    expect(a.subarray(6)).not.toEqual(b.subarray(6));
  });

  it('only ASCII text takes the direct path', () => {
    expect(isAscii('MZ0123abc{"x":"+/="}')).toBe(true);
    expect(isAscii('MZשלום')).toBe(false);
    expect(isAscii('\u0080')).toBe(false);
  });
});

describe('clip frames cut once (frames.ts)', () => {
  it('gives the same 160-byte frames as cutting per frame, the short last one padded with silence', () => {
    const clip = Buffer.alloc(400);
    for (let i = 0; i < clip.length; i++) clip[i] = (i * 7) & 0xff;
    const frames = clipFrames(clip);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toEqual(clip.subarray(0, 160));
    expect(frames[1]).toEqual(clip.subarray(160, 320));
    expect(frames[2]!.subarray(0, 80)).toEqual(clip.subarray(320));
    expect(frames[2]!.subarray(80).every((b) => b === 0xff)).toBe(true);
    for (const f of frames) expect(frameBase64(f)).toBe(f.toString('base64'));
    expect(clipFrames(clip)).toBe(frames); // shared by every call playing the clip
  });

  it('works on a view into a larger buffer and encodes unknown buffers on the fly', () => {
    const backing = Buffer.alloc(1000, 0x11);
    backing.fill(0x22, 500);
    const clip = new Uint8Array(backing.buffer, backing.byteOffset + 420, 200);
    const frames = clipFrames(clip);
    expect(frames[0]).toEqual(Buffer.from(backing.subarray(420, 580)));
    expect(frames[1]!.subarray(0, 40)).toEqual(Buffer.from(backing.subarray(580, 620)));
    expect(frameBase64(SILENCE_FRAME)).toBe(Buffer.alloc(160, 0xff).toString('base64'));
    const other = Buffer.alloc(160, 0x33);
    expect(frameBase64(other)).toBe(other.toString('base64'));
  });
});
