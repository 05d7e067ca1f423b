// Audio as it moves through the agent: the Twilio edge stamps it, the session's VAD and batcher
// read it, the batcher hands it to STT. It lives here, not in stt/, because it is not an STT type.

/** Audio from the caller: raw mu-law 8 kHz, stamped with its position on the call's audio clock. */
export interface AudioChunk {
  readonly mulaw: Buffer;
  /** Call audio-clock time of the first sample, in ms since the stream started. */
  readonly audioTimeMs: number;
}
