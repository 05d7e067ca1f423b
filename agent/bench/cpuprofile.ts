// Self time per function and per file of a V8 .cpuprofile (node --cpu-prof), optionally only
// the samples after the first --skip seconds (boot) and before --until seconds.
//
//   node agent/bench/cpuprofile.ts <file.cpuprofile> [--top 40] [--skip 15] [--until 80]
//        [--by function|file|package]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '40' },
    skip: { type: 'string', default: '0' },
    until: { type: 'string', default: '1e9' },
    by: { type: 'string', default: 'function' },
    // Where a function's self time comes from: its callers' stacks (3 frames), for names containing this.
    callers: { type: 'string' },
    // Inclusive time by activity: name=substring pairs, e.g. 'vad=turn/vad.ts,llm=openai'; a
    // sample counts for the first activity any frame of its stack matches (in the order given).
    inclusive: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: cpuprofile.ts <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
function stackOf(id: number, depth: number): string {
  const names: string[] = [];
  for (let p = parentOf.get(id); p !== undefined && names.length < depth; p = parentOf.get(p)) {
    const f = byId.get(p)!.callFrame;
    names.push(`${f.functionName || '(anon)'}@${shortUrl(f.url).split('/').pop()}:${f.lineNumber + 1}`);
  }
  return names.join(' < ');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.indexOf('/agent/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}
function keyOf(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const u = shortUrl(url);
  if (values.by === 'file') return u || `(${functionName || 'native'})`;
  if (values.by === 'package') {
    if (u.startsWith('agent/')) return u.split('/').slice(0, 3).join('/');
    if (u === '') return `(${functionName || 'native'})`;
    const parts = u.split('/');
    return parts[0]!.startsWith('@')
      ? `${parts[0]}/${parts[1]}`
      : parts[0]!.startsWith('node:')
        ? 'node:' + parts[0]!.slice(5).split('/')[0]
        : parts[0]!;
  }
  return `${functionName || '(anonymous)'} ${u}${u ? `:${lineNumber + 1}` : ''}`;
}

const activities = (values.inclusive ?? '').split(',').flatMap((pair) => {
  const [name, pattern] = pair.split('=');
  return name && pattern ? [{ name, pattern }] : [];
});
function activityOf(id: number): string {
  const frames: string[] = [];
  for (let p: number | undefined = id; p !== undefined; p = parentOf.get(p)) {
    const f = byId.get(p)!.callFrame;
    frames.push(`${f.url} ${f.functionName}`);
  }
  for (const a of activities) if (frames.some((f) => f.includes(a.pattern))) return a.name;
  const leaf = byId.get(id)!;
  return `other: ${values.by === 'function' ? keyOf(leaf) : shortUrl(leaf.callFrame.url) || leaf.callFrame.functionName}`;
}
const skipUs = Number(values.skip) * 1e6;
const untilUs = Number(values.until) * 1e6;
const self = new Map<string, number>();
let t = 0;
let total = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < skipUs || t > untilUs) continue;
  const node = byId.get(profile.samples[i]!)!;
  const name = node.callFrame.functionName;
  if (name === '(idle)') {
    idle++;
    continue;
  }
  total++;
  if (values.inclusive !== undefined) {
    const key = activityOf(node.id);
    self.set(key, (self.get(key) ?? 0) + 1);
    continue;
  }
  if (values.callers !== undefined) {
    if (!name.includes(values.callers)) continue;
    const key = stackOf(node.id, Number(process.env.DEPTH ?? 4));
    self.set(key, (self.get(key) ?? 0) + 1);
    continue;
  }
  const key = keyOf(node);
  self.set(key, (self.get(key) ?? 0) + 1);
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
console.log(`busy samples ${total}, idle ${idle} (busy ${((100 * total) / (total + idle)).toFixed(1)} %)`);
for (const [key, n] of rows) console.log(`${((100 * n) / total).toFixed(1).padStart(5)} %  ${key}`);
