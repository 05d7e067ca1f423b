// Markdown an LLM writes even when told not to, reduced to the words it carries: a voice would
// otherwise say "כוכבית" for every asterisk. Works on a sentence chunk (tts/splitter.ts cuts at
// newlines, so each line arrives on its own). Pure.

/** Line-start markers: headings, block quotes, bullets, task boxes, horizontal rules. */
const LINE_MARKERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\s*#{1,6}\s+/u, ''], // ## כותרת
  [/^\s*(?:>\s*)+/u, ''], // > ציטוט
  [/^\s*(?:[-*+•▪◦‣·]\s+)+(?:\[[ xX]\]\s+)?/u, ''], // - פריט, * [x] משימה
  [/^\s*(?:[-*_]\s*){3,}$/u, ''], // ---
  [/^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?-{0,}:?\s*$/u, ''], // |---|---| table rule
];

/** Inline constructs, in order: code, images, links, emphasis. */
const INLINE: ReadonlyArray<readonly [RegExp, string]> = [
  [/```[\w+-]*/gu, ''], // code fences (with a language tag)
  [/<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?\/?>/giu, ''], // <b>, <br/>
  [/`([^`]*)`/gu, '$1'], // `code`
  [/!\[([^\]]*)\]\([^)]*\)/gu, '$1'], // ![alt](src)
  [/\[([^\]]+)\]\([^)]*\)/gu, '$1'], // [text](url)
  [/\[([^\]]+)\]\[[^\]]*\]/gu, '$1'], // [text][ref]
  [/<((?:https?:\/\/|mailto:)[^>\s]+)>/gu, '$1'], // <https://...>
  [/(\*\*|__)(?=\S)([\s\S]*?\S)\1/gu, '$2'], // **bold**, __bold__
  [/~~(?=\S)([\s\S]*?\S)~~/gu, '$1'], // ~~struck~~
  [/(^|[^\p{L}\p{N}*])\*(?=\S)([^*]*?\S)\*(?![\p{L}\p{N}*])/gu, '$1$2'], // *em*
  [/(^|[^\p{L}\p{N}_])_(?=\S)([^_]*?\S)_(?![\p{L}\p{N}_])/gu, '$1$2'], // _em_ (not snake_case)
];

/** Markdown removed; the words (link text, code, emphasised words) kept. */
export function stripMarkdown(text: string): string {
  let out = text
    .split('\n')
    .map((line) => {
      let l = line;
      for (const [re, to] of LINE_MARKERS) l = l.replace(re, to);
      // Table cells: pipes between cells become pauses.
      return l
        .replace(/^\s*\|/u, '')
        .replace(/\|\s*$/u, '')
        .replace(/\s*\|\s*/gu, ', ');
    })
    .join('\n');
  for (const [re, to] of INLINE) out = out.replace(re, to);
  // Any marker left over (unbalanced ** or a stray #) is still not something to say; a star
  // before 3-5 digits is an Israeli star number (*2700), said as "כוכבית".
  return out.replace(/\*+(?!\d{3,5}(?!\d))|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])|#+|`+|~{2,}/gu, '');
}
