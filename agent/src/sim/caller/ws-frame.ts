// A client's WebSocket text frame as one Buffer, masked the way RFC 6455 section 5.3 requires of
// every client (Twilio included): a fresh key per frame and the payload XORed with it. These are
// the bytes ws sends for the same message with the same key, written to the socket in one write
// instead of ws's header buffer + payload pair (cork, two writes, writev). For the caller's media
// frames, thousands a second in a load test. A real key matters for the numbers: the agent's ws
// skips the unmasking loop for an all-zero key, which no real client sends. The text must be
// ASCII (one byte per character).

/** FIN + text opcode. */
const FIN_TEXT = 0x81;
const MASK_BIT = 0x80;

/** Length of the frame header before the key, for `byteLength` bytes of payload. */
function headerLength(byteLength: number): number {
  if (byteLength < 126) return 2;
  return byteLength < 0x10000 ? 4 : 10;
}

/** Writes FIN, opcode 1, MASK and the payload length at the start of `frame`; returns the key's offset. */
function writeHeader(frame: Buffer, byteLength: number): number {
  frame[0] = FIN_TEXT;
  if (byteLength < 126) {
    frame[1] = MASK_BIT | byteLength;
    return 2;
  }
  if (byteLength < 0x10000) {
    frame[1] = MASK_BIT | 126;
    frame.writeUInt16BE(byteLength, 2);
    return 4;
  }
  frame[1] = MASK_BIT | 127;
  frame.writeBigUInt64BE(BigInt(byteLength), 2);
  return 10;
}

/** The whole masked frame for an ASCII `text` under the 32-bit masking `key` (big-endian bytes). */
export function maskedTextFrame(text: string, key: number): Buffer {
  const n = text.length;
  const keyAt = headerLength(n);
  const frame = Buffer.allocUnsafe(keyAt + 4 + n);
  writeHeader(frame, n);
  frame.writeUInt32BE(key >>> 0, keyAt);
  const at = keyAt + 4;
  frame.write(text, at, 'latin1');
  const k0 = frame[keyAt]!;
  const k1 = frame[keyAt + 1]!;
  const k2 = frame[keyAt + 2]!;
  const k3 = frame[keyAt + 3]!;
  let i = 0;
  for (let p = at; i + 3 < n; i += 4, p += 4) {
    frame[p] = frame[p]! ^ k0;
    frame[p + 1] = frame[p + 1]! ^ k1;
    frame[p + 2] = frame[p + 2]! ^ k2;
    frame[p + 3] = frame[p + 3]! ^ k3;
  }
  for (; i < n; i++) frame[at + i] = frame[at + i]! ^ frame[keyAt + (i & 3)]!;
  return frame;
}

/**
 * Masking keys for one connection: xorshift32 from a random seed. RFC 6455 wants keys a proxy
 * cannot predict; for a load generator what matters is that they are not zero (ws's fast path)
 * and differ per frame, which this gives at a fraction of a crypto draw's cost.
 */
export function maskKeys(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x === 0 ? 0x6d2b79f5 : x;
  };
}

/** True when every character of `s` is ASCII, i.e. its latin1 and UTF-8 bytes are the same. */
export function isAscii(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s);
}
