// Types of codec.js (a plain browser module) for the TypeScript tests that import it.
export function encodeMulawSample(sample: number): number;
export function decodeMulawSample(code: number): number;
export function encodeMulaw(floats: Float32Array, out?: Uint8Array): Uint8Array;
export function decodeMulaw(bytes: Uint8Array, out?: Float32Array): Float32Array;
export function bytesToBase64(bytes: Uint8Array): string;
export function base64ToBytes(b64: string): Uint8Array;
export class Resampler {
  constructor(inRate: number, outRate: number);
  readonly step: number;
  readonly halfWidth: number;
  process(input: Float32Array): Float32Array;
}
