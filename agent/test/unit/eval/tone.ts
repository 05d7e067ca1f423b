// 20 ms of a loud 440 Hz tone as mu-law: speech for the energy VAD.
import { encodeMulaw } from '../../../src/audio/mulaw.ts';

export const TONE_MULAW: Buffer = (() => {
  const pcm = new Int16Array(160);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return encodeMulaw(pcm);
})();
