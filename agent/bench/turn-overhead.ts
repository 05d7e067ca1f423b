// The Speech/TTS/OpenAI emulators' own cost (`npm run bench:turn -- --overhead`): latency 'none',
// so request -> first audio / first token through the real clients is the emulator plus the client.
import os from 'node:os';
import { OpenAiResponder } from '../src/llm/openai.ts';
import { startOpenAiEmulator } from '../src/sim/openai/server.ts';
import { startTtsEmulator } from '../src/sim/tts/server.ts';
import { GoogleSynthesizer } from '../src/tts/google.ts';
import { pct } from './turn-report.ts';

/** The emulators with latency 'none': everything measured is their own cost plus the client's. */
export async function measureEmulatorOverhead(n: number): Promise<void> {
  const sentences = [
    'הבנתי, אמרת: שלום,',
    'אני רוצה לבדוק את ההזמנה שלי.',
    'איך עוד אפשר לעזור?',
    'מה שעות הפתיחה שלכם ביום שישי.',
    'אני גר ברחוב הרצל עשרים ושתיים בתל אביב.',
  ];
  const emu = await startTtsEmulator({ latency: 'none' });
  const llm = await startOpenAiEmulator({ latency: 'none' });
  const out: string[] = [
    `emulator overhead, latency 'none', ${n} requests each, sequential; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    '',
    '| path | n | p50 ms | p95 ms | max ms |',
    '|---|---|---|---|---|',
  ];
  const row = (name: string, v: number[]): void => {
    out.push(
      `| ${name} | ${v.length} | ${pct(v, 50)!.toFixed(1)} | ${pct(v, 95)!.toFixed(1)} | ${Math.max(...v).toFixed(1)} |`,
    );
  };
  for (const voice of ['he-IL-Wavenet-A', 'he-IL-Chirp3-HD-Kore']) {
    const synth = new GoogleSynthesizer({ voice, speakingRate: 1, pitch: 0, endpoint: emu.endpoint });
    await synth.ready();
    const firstAudio = async (text: string): Promise<number> => {
      const started = performance.now();
      let at = 0;
      for await (const chunk of synth.synthesize({
        callId: 'o',
        text,
        signal: new AbortController().signal,
      })) {
        if (at === 0 && chunk.length > 0) at = performance.now() - started;
      }
      return at;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < n; i++) {
      // A text never seen before (cold: local synthesis), then the same again (cached).
      const text = `${sentences[i % sentences.length]} ${voice.length + i}`;
      cold.push(await firstAudio(text));
      warm.push(await firstAudio(text));
    }
    const kind = voice.includes('Chirp3') ? 'StreamingSynthesize' : 'SynthesizeSpeech';
    row(`TTS ${kind} request -> first audio, cold (espeak-ng synthesis)`, cold);
    row(`TTS ${kind} request -> first audio, cached`, warm);
    await synth.close();
  }
  const responder = new OpenAiResponder({
    apiKey: 'sk-bench',
    baseUrl: llm.url,
    model: 'emulator',
    temperature: 0.3,
    maxTokens: 200,
    firstTokenTimeoutMs: 5000,
    stallTimeoutMs: 5000,
    retryAttempts: 0,
  });
  const ttft: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    let at = 0;
    for await (const delta of responder.respond({
      callId: 'o',
      messages: [{ role: 'user', content: sentences[i % sentences.length]! }],
      signal: new AbortController().signal,
    })) {
      if (at === 0 && delta !== '') at = performance.now() - started;
    }
    ttft.push(at);
  }
  row('OpenAI chat.completions (SSE) request -> first token', ttft);
  await emu.close();
  await llm.close();
  console.log(out.join('\n'));
}
