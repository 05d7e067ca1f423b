// A clip's 20 ms frames, cut once per clip and shared by every call that plays it: the frame
// buffers (the last one padded with mu-law silence) and the base64 each media message carries.
// A load test sends thousands of frames a second, and the clips are known before the calls
// start; cutting and encoding them per frame per call was a tenth of the callers' JavaScript.

export const FRAME_MS = 20;
export const FRAME_BYTES = 160;
/** A frame of mu-law digital silence. */
export const SILENCE_FRAME = Buffer.alloc(FRAME_BYTES, 0xff);

const base64OfFrame = new WeakMap<Buffer, string>([[SILENCE_FRAME, SILENCE_FRAME.toString('base64')]]);
const framesOfClip = new WeakMap<Uint8Array, readonly Buffer[]>();

/** The clip as 160-byte frames (views of it; the last, short one padded with 0xff), cut on first use. */
export function clipFrames(audio: Uint8Array): readonly Buffer[] {
  let frames = framesOfClip.get(audio);
  if (frames) return frames;
  const cut: Buffer[] = [];
  for (let off = 0; off < audio.length; off += FRAME_BYTES) {
    const end = Math.min(off + FRAME_BYTES, audio.length);
    let frame: Buffer;
    if (end - off === FRAME_BYTES) frame = Buffer.from(audio.buffer, audio.byteOffset + off, FRAME_BYTES);
    else {
      frame = Buffer.alloc(FRAME_BYTES, 0xff);
      frame.set(audio.subarray(off, end));
    }
    base64OfFrame.set(frame, frame.toString('base64'));
    cut.push(frame);
  }
  frames = cut;
  framesOfClip.set(audio, frames);
  return frames;
}

/** The frame's base64: cached for clip frames and silence, encoded for any other buffer. */
export function frameBase64(frame: Buffer): string {
  return base64OfFrame.get(frame) ?? frame.toString('base64');
}
