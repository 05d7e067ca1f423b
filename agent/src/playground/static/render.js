// DOM rendering of the playground's event feed: the conversation (partials, finals, the answer
// as it is spoken, barge-ins) and the per-turn latency waterfall. Text from the agent is only
// ever set as textContent.

const el = (tag, attrs = {}, text) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
};

const words = (text) =>
  text
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .trim()
    .split(/\s+/);
/** True when `partial` is the ended turn's text or a beginning of it (punctuation ignored). */
const sameWords = (ended, partial) => {
  const a = words(ended);
  const b = words(partial);
  return b.length <= a.length && b.every((w, i) => w === a[i]);
};

const ms = (v) => `${Math.round(v)} ms`;

const RULES = {
  silence: 'ended by silence',
  sttFinal: 'ended by STT final',
  earlyFinal: 'ended by early final',
  noVoiceTimeout: 'ended by no-voice timeout',
};

export class ConversationView {
  constructor(list) {
    this.list = list;
    this.caller = undefined;
    /** A caller bubble whose turn ended before its STT final: the late final updates it. */
    this.awaitingFinal = undefined;
    this.agentTurns = new Map();
    this.segments = new Map();
  }

  clear() {
    this.list.replaceChildren();
    this.caller = undefined;
    this.awaitingFinal = undefined;
    this.agentTurns.clear();
    this.segments.clear();
  }

  scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  callerItem() {
    if (this.caller === undefined) {
      const li = el('li', { class: 'msg caller partial' });
      li.append(el('span', { class: 'who', lang: 'en', dir: 'ltr' }, 'you'), el('span', { class: 'text' }));
      this.list.append(li);
      this.caller = li;
    }
    return this.caller;
  }

  transcript(e) {
    if (e.isFinal && this.caller === undefined && this.awaitingFinal !== undefined) {
      this.awaitingFinal.querySelector('.text').textContent = e.text;
      this.awaitingFinal = undefined;
      return;
    }
    // Trailing partials of a turn that already ended (early final) are not a new utterance.
    if (
      this.awaitingFinal !== undefined &&
      sameWords(this.awaitingFinal.querySelector('.text').textContent, e.text)
    )
      return;
    this.awaitingFinal = undefined;
    const li = this.callerItem();
    li.querySelector('.text').textContent = e.text;
    if (e.isFinal) {
      li.classList.remove('partial');
      li.classList.add('final');
      li.dataset.final = 'true';
      this.caller = undefined;
    }
    this.scroll();
  }

  turnEnded(e) {
    const li = this.caller ?? [...this.list.querySelectorAll('.msg.caller.final')].pop();
    if (li === undefined) return;
    if (this.caller === li) {
      li.querySelector('.text').textContent = e.transcript;
      li.classList.remove('partial');
      li.classList.add('final');
      this.caller = undefined;
      this.awaitingFinal = li;
    }
    li.append(el('span', { class: 'badge', lang: 'en', dir: 'ltr' }, RULES[e.rule] ?? e.rule));
  }

  segment(e) {
    let span = this.segments.get(e.segmentId);
    if (span === undefined) {
      const key = `${e.kind}-${e.turnId}`;
      let li = this.agentTurns.get(key);
      if (li === undefined) {
        li = el('li', { class: `msg agent ${e.kind}` });
        li.append(
          el('span', { class: 'who', lang: 'en', dir: 'ltr' }, e.kind === 'answer' ? 'agent' : e.kind),
        );
        li.append(el('span', { class: 'text' }));
        this.list.append(li);
        this.agentTurns.set(key, li);
        // A caller partial that started meanwhile stays above the answer.
        this.caller = undefined;
      }
      span = el('span', { class: 'sentence' }, `${e.text} `);
      li.querySelector('.text').append(span);
      this.segments.set(e.segmentId, span);
    }
    span.dataset.state = e.state;
    span.title = e.state === 'sending' ? 'speaking' : e.state;
    this.scroll();
  }

  bargeIn(e) {
    const li = el('li', { class: 'msg system barge-in', lang: 'en', dir: 'ltr' });
    li.append(el('strong', {}, 'Barge-in: '));
    li.append(
      e.wasSpeaking
        ? `you interrupted the agent; it sent "clear" and stopped speaking (turn ${e.turnId}).`
        : `you spoke again before the answer was heard (turn ${e.turnId}).`,
    );
    this.list.append(li);
    this.scroll();
  }

  system(text) {
    this.list.append(el('li', { class: 'msg system', lang: 'en', dir: 'ltr' }, text));
    this.scroll();
  }
}

/** One card per finished turn: a bar per stage on a shared axis, from speech end. */
export function renderTurn(list, w) {
  const li = el('li', { class: 'turn', 'data-turn': w.turnId, 'data-outcome': w.outcome });
  const head = el('div', { class: 'turn-head' });
  head.append(el('strong', {}, `Turn ${w.turnId}`));
  head.append(el('span', { class: 'quote', dir: 'rtl', lang: 'he' }, w.transcript));
  li.append(head);
  const meta = [w.outcome, RULES[w.rule] ?? w.rule];
  if (w.preemptive) meta.push(`preemptive ${w.preemptive}`);
  li.append(el('p', { class: 'turn-meta' }, meta.join(' · ')));

  const minMs = Math.min(0, ...w.bars.map((b) => b.startMs));
  const maxMs = Math.max(1, ...w.bars.map((b) => b.endMs));
  const span = maxMs - minMs;
  const rows = el('dl', { class: 'waterfall' });
  for (const b of w.bars) {
    const row = el('div', { class: `row ${b.stage}`, 'data-stage': b.stage });
    row.append(el('dt', {}, b.label));
    const dd = el('dd');
    const track = el('span', { class: 'track', 'aria-hidden': 'true' });
    const bar = el('span', { class: 'bar' });
    bar.style.left = `${((b.startMs - minMs) / span) * 100}%`;
    bar.style.width = `${Math.max(0.5, ((b.endMs - b.startMs) / span) * 100)}%`;
    track.append(bar);
    const zero = el('span', { class: 'zero' });
    zero.style.left = `${(-minMs / span) * 100}%`;
    track.append(zero);
    dd.append(track);
    // The value is when the stage was done (the [LATENCY] figure); the bar also shows when it began.
    track.title = `${b.label}: from ${ms(b.startMs)} to ${ms(b.endMs)} (${ms(b.endMs - b.startMs)})`;
    dd.append(el('span', { class: 'value' }, ms(b.endMs)));
    row.append(dd);
    rows.append(row);
  }
  li.append(rows);
  if (w.firstPartialMs !== undefined)
    li.append(
      el('p', { class: 'turn-meta' }, `first partial ${ms(w.firstPartialMs)} (negative: while you spoke)`),
    );
  if (w.traceId !== undefined) {
    const p = el('p', { class: 'trace' });
    p.append('trace ');
    if (w.traceUrl !== undefined) {
      const a = el('a', { href: w.traceUrl, target: '_blank', rel: 'noopener noreferrer' }, w.traceId);
      a.setAttribute('aria-label', `Open trace ${w.traceId} in the tracing UI`);
      p.append(a);
    } else p.append(el('code', {}, w.traceId));
    li.append(p);
  }
  list.append(li);
  list.scrollTop = list.scrollHeight;
  return li;
}
