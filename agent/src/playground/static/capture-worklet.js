// AudioWorklet: microphone -> 8 kHz mu-law, 20 ms (160-byte) frames posted to the page, which
// sends each one as a Twilio `media` message. Runs on the audio thread; `sampleRate` is the
// AudioContext's rate (usually 48 kHz), a global of the worklet scope.
import { Resampler, encodeMulaw } from './codec.js';

const FRAME = 160;
const LEVEL_EVERY_FRAMES = 5;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new Resampler(sampleRate, 8000);
    this.pending = new Float32Array(FRAME * 4);
    this.filled = 0;
    this.frames = 0;
    this.peak = 0;
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data && e.data.type === 'stop') this.running = false;
    };
  }

  process(inputs) {
    if (!this.running) return false;
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    const out = this.resampler.process(channel);
    for (let i = 0; i < out.length; i++) {
      this.pending[this.filled++] = out[i];
      const a = Math.abs(out[i]);
      if (a > this.peak) this.peak = a;
      if (this.filled === FRAME) this.flush();
    }
    return true;
  }

  flush() {
    const frame = encodeMulaw(this.pending.subarray(0, FRAME));
    this.filled = 0;
    this.frames += 1;
    const message = { type: 'frame', mulaw: frame.buffer };
    if (this.frames % LEVEL_EVERY_FRAMES === 0) {
      message.level = this.peak;
      this.peak = 0;
    }
    this.port.postMessage(message, [frame.buffer]);
  }
}

registerProcessor('hva-capture', CaptureProcessor);
