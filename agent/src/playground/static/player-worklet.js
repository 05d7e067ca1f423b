// AudioWorklet: plays the agent's audio the way Twilio does. The page queues decoded 8 kHz
// audio and marks in arrival order; a mark is reported 'played' once every sample queued before
// it has been rendered, and `clear` drops the queued audio and reports every pending mark as
// well (Twilio echoes marks after a clear too; the agent tells the two apart itself).
import { Resampler } from './codec.js';

class PlayerProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new Resampler(8000, sampleRate);
    /** Items in order: { audio: Float32Array (at sampleRate), offset } or { mark: name }. */
    this.queue = [];
    this.speaking = false;
    this.peak = 0;
    this.blocks = 0;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(msg) {
    if (msg.type === 'media') {
      const audio = this.resampler.process(msg.samples);
      if (audio.length > 0) this.queue.push({ audio, offset: 0 });
    } else if (msg.type === 'mark') {
      this.queue.push({ mark: msg.name });
      this.releaseMarks();
    } else if (msg.type === 'clear') {
      const marks = this.queue.filter((item) => item.mark !== undefined).map((item) => item.mark);
      this.queue = [];
      this.resampler = new Resampler(8000, sampleRate);
      this.port.postMessage({ type: 'cleared', marks });
      this.setSpeaking(false);
    }
  }

  /** Marks at the head of the queue have had all their audio played. */
  releaseMarks() {
    while (this.queue.length > 0 && this.queue[0].mark !== undefined) {
      this.port.postMessage({ type: 'played', mark: this.queue.shift().mark });
    }
  }

  setSpeaking(on) {
    if (on === this.speaking) return;
    this.speaking = on;
    this.port.postMessage({ type: 'speaking', speaking: on });
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let written = 0;
    while (written < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      if (head.mark !== undefined) {
        this.releaseMarks();
        continue;
      }
      const n = Math.min(out.length - written, head.audio.length - head.offset);
      out.set(head.audio.subarray(head.offset, head.offset + n), written);
      for (let i = 0; i < n; i++) {
        const a = Math.abs(head.audio[head.offset + i]);
        if (a > this.peak) this.peak = a;
      }
      written += n;
      head.offset += n;
      if (head.offset >= head.audio.length) this.queue.shift();
    }
    this.releaseMarks();
    for (let ch = 1; ch < outputs[0].length; ch++) outputs[0][ch].set(out);
    this.setSpeaking(written > 0 || this.queue.length > 0);
    if (++this.blocks % 40 === 0) {
      this.port.postMessage({ type: 'level', level: this.peak });
      this.peak = 0;
    }
    return true;
  }
}

registerProcessor('hva-player', PlayerProcessor);
