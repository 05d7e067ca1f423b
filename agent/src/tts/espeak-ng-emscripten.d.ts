// Types for the parts of @echogarden/espeak-ng-emscripten this project uses (the package ships none).
declare module '@echogarden/espeak-ng-emscripten' {
  export interface EspeakEvent {
    type: string;
    text_position: number;
    word_length: number;
    audio_position: number;
    id?: string | number;
  }
  export interface EspeakVoiceInfo {
    name: string;
    identifier: string;
    languages: { priority: number; name: string }[];
  }
  export interface ESpeakNGWorker {
    readonly samplerate: number;
    rate: number;
    pitch: number;
    set_voice(name: string, lang?: string, gender?: number, age?: number, variant?: number): number;
    list_voices(): EspeakVoiceInfo[];
    /** Synchronous: calls back with PCM16 chunks; return 1 from the callback to stop early. */
    synthesize(
      text: string,
      callback: (samples: Int16Array, events: EspeakEvent[]) => number | boolean,
    ): void;
  }
  export interface EspeakModule {
    eSpeakNGWorker: new () => ESpeakNGWorker;
  }
  const init: (moduleArg?: Record<string, unknown>) => Promise<EspeakModule>;
  export default init;
}
