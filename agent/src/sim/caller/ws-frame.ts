// A client's WebSocket text frame with an all-zero masking key, as one latin1 string: the bytes
// ws sends for the same message with `generateMask` filling zeros (its Sender skips the XOR for
// such a key; RFC 6455 section 5.3 allows any key), written to the socket in one write instead of
// ws's header buffer + payload pair (cork, two writes, writev). For the caller's media frames,
// thousands a second in a load test. The text must be ASCII (one byte per character).

const ZERO_MASK = '\0\0\0\0';
/** FIN + text opcode. */
const FIN_TEXT = '\x81';

/** Frame header (FIN, opcode 1, MASK, the payload length) and the zero key, for `byteLength` bytes of payload. */
export function maskedTextHeader(byteLength: number): string {
  if (byteLength < 126) return FIN_TEXT + String.fromCharCode(0x80 | byteLength) + ZERO_MASK;
  if (byteLength < 0x10000)
    return FIN_TEXT + '\xfe' + String.fromCharCode(byteLength >> 8, byteLength & 0xff) + ZERO_MASK;
  let length = '';
  for (let i = 7, n = byteLength; i >= 0; i--, n = Math.floor(n / 256))
    length = String.fromCharCode(n % 256) + length;
  return FIN_TEXT + '\xff' + length + ZERO_MASK;
}

/** The whole frame for an ASCII `text` (write it with the 'latin1' encoding). */
export function maskedTextFrame(text: string): string {
  return maskedTextHeader(text.length) + text;
}

/** True when every character of `s` is ASCII, i.e. its latin1 and UTF-8 bytes are the same. */
export function isAscii(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s);
}
