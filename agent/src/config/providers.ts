// Which provider of each kind a running agent uses, once boot has resolved the *_PROVIDER
// settings (runtime/providers.ts decides; the playground and the boot log report it). A type
// on the bottom floor so the playground can name it without importing start-up wiring.
export type SttChoice = 'google' | 'emulator';

export interface LiveProviders {
  readonly stt: SttChoice;
  readonly llm: 'openai' | 'scripted';
  readonly tts: 'google' | 'local';
}
