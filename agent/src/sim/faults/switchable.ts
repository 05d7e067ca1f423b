// Emulator hooks that delegate to whichever injector is current: emulators started once (a
// benchmark's emulator process, a test's beforeAll) take a new plan per run without restarting.
import type { FaultInjector } from './index.ts';
import type { SpeechStreamFaultHook } from './speech-hook.ts';
import type { LlmFaultHook, TtsFaultHook } from './window-hooks.ts';

export interface SwitchableFaults {
  /** Spread into the emulators' options once, at start. */
  readonly emulatorOptions: {
    readonly speech: { readonly streamFaults: SpeechStreamFaultHook };
    readonly openai: { readonly faultHook: LlmFaultHook };
    readonly tts: { readonly faultHook: TtsFaultHook };
  };
  /** The plan from now on (undefined: no faults). */
  use(injector: FaultInjector | undefined): void;
  readonly current: FaultInjector | undefined;
}

export function createSwitchableFaults(): SwitchableFaults {
  let current: FaultInjector | undefined;
  const llm = (): LlmFaultHook | undefined => current?.emulatorOptions.openai.faultHook;
  const tts = (): TtsFaultHook | undefined => current?.emulatorOptions.tts.faultHook;
  return {
    emulatorOptions: {
      speech: { streamFaults: (callId) => current?.emulatorOptions.speech.streamFaults?.(callId) },
      openai: {
        faultHook: {
          now: () => llm()?.now() ?? 0,
          request: () => llm()?.request() ?? null,
          completed: (t) => llm()?.completed(t),
        },
      },
      tts: {
        faultHook: {
          now: () => tts()?.now() ?? 0,
          request: () => tts()?.request() ?? null,
          completed: (t) => tts()?.completed(t),
        },
      },
    },
    use(injector) {
      current?.stop();
      current = injector;
    },
    get current() {
      return current;
    },
  };
}
