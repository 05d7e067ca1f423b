// One prebuilt abort reason for the aborts whose reason nobody reads beyond its name: abort()
// without a reason builds a new DOMException, with a captured stack, every time (several per turn:
// each answer's HTTP request, the LLM and TTS work of every spoken answer). Readers of these
// signals only test `aborted`, the reason's identity or its name ('AbortError'), never its stack.

/** The reason of a quiet abort: a DOMException named AbortError, as abort() would make. */
export const ABORTED: DOMException = new DOMException('This operation was aborted', 'AbortError');

/** ctrl.abort() with the shared reason (a no-op when already aborted, as abort()). */
export function abortQuietly(ctrl: AbortController): void {
  ctrl.abort(ABORTED);
}
