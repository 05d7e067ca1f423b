// An evaluation corpus on disk: recordings (WAV of any rate/format, or raw mu-law 8 kHz) with
// reference transcripts from transcripts.tsv (name<TAB>text) or a sidecar <name>.txt.
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadCallerAudio } from '../sim/caller/audio-source.ts';

export const AUDIO_EXTENSIONS = new Set(['.wav', '.ulaw', '.mulaw', '.ul', '.raw', '.mu']);

export interface Recording {
  /** File name without its extension; the key of its transcript. */
  readonly name: string;
  readonly path: string;
  readonly reference: string;
}

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

/** name -> text from a TSV (blank lines and lines starting with # ignored). */
export function parseTranscriptTsv(text: string, source: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/u).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new CorpusError(`${source}:${i + 1}: expected "name<TAB>transcript"`);
    out.set(line.slice(0, tab).trim(), line.slice(tab + 1).trim());
  });
  return out;
}

/** The recordings of a folder with their references, sorted by name. Every recording needs one. */
export async function loadCorpus(dir: string): Promise<Recording[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    throw new CorpusError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  const tsv = entries.includes('transcripts.tsv')
    ? parseTranscriptTsv(await readFile(join(dir, 'transcripts.tsv'), 'utf8'), join(dir, 'transcripts.tsv'))
    : new Map<string, string>();
  const recordings: Recording[] = [];
  const missing: string[] = [];
  for (const file of entries.sort()) {
    const ext = extname(file).toLowerCase();
    if (!AUDIO_EXTENSIONS.has(ext)) continue;
    const name = basename(file, extname(file));
    let reference = tsv.get(name);
    if (reference === undefined && entries.includes(`${name}.txt`))
      reference = (await readFile(join(dir, `${name}.txt`), 'utf8')).trim();
    if (reference === undefined) missing.push(file);
    else recordings.push({ name, path: join(dir, file), reference });
  }
  if (missing.length > 0)
    throw new CorpusError(
      `no reference transcript for ${missing.join(', ')} (add it to transcripts.tsv or a <name>.txt)`,
    );
  if (recordings.length === 0)
    throw new CorpusError(`no recordings (${[...AUDIO_EXTENSIONS].join(' ')}) in ${dir}`);
  return recordings;
}

/** A recording's audio as mu-law 8 kHz, what Twilio streams. */
export function loadRecordingAudio(recording: Recording): Promise<Buffer> {
  return loadCallerAudio(recording.path);
}
