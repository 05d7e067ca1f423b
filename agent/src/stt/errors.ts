// Classifies Speech API failures. The Node client never retries bidirectional streams, so
// whether to reopen (retryable) or to fail the call loudly (fatal) is decided here.
import { status as GrpcStatus } from '@grpc/grpc-js';

export interface ClassifiedSttError {
  /** gRPC status name, e.g. UNAVAILABLE, or UNKNOWN for non-gRPC errors. */
  readonly code: string;
  readonly numericCode: number | undefined;
  readonly message: string;
  readonly retryable: boolean;
  /** Short reason label for metrics: the code, or stream_limit / audio_timeout for the two OUT_OF_RANGE cases. */
  readonly reason: string;
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

// UNKNOWN and CANCELLED (from the server side; our own cancels are ignored before classification)
// are transient server/transport conditions in practice.
const RETRYABLE = new Set([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
  'ABORTED',
  'UNKNOWN',
  'CANCELLED',
]);

export function grpcCodeName(code: number | undefined): string {
  return code === undefined ? 'UNKNOWN' : (CODE_NAMES[code] ?? `CODE_${code}`);
}

export const STREAM_LIMIT_PATTERN = /maximum allowed stream duration/i;
export const AUDIO_TIMEOUT_PATTERN = /audio timeout|long duration elapsed without audio/i;

/** Classifies an error from a gRPC call (an Error with a numeric `code`) or anything else thrown. */
export function classifySttError(err: unknown): ClassifiedSttError {
  const e = err as { code?: unknown; details?: unknown; message?: unknown } | null | undefined;
  const numericCode = typeof e?.code === 'number' ? e.code : undefined;
  const details = typeof e?.details === 'string' && e.details !== '' ? e.details : undefined;
  const message = details ?? (typeof e?.message === 'string' ? e.message : String(err));
  const code = grpcCodeName(numericCode);
  if (code === 'OUT_OF_RANGE') {
    if (STREAM_LIMIT_PATTERN.test(message))
      return { code, numericCode, message, retryable: true, reason: 'stream_limit' };
    if (AUDIO_TIMEOUT_PATTERN.test(message))
      return { code, numericCode, message, retryable: true, reason: 'audio_timeout' };
    return { code, numericCode, message, retryable: false, reason: code };
  }
  if (numericCode === undefined) {
    // Not a gRPC status (socket reset inside a library, unexpected throw): treat as transient.
    return { code, numericCode, message, retryable: true, reason: 'transport' };
  }
  if (RETRYABLE.has(code)) return { code, numericCode, message, retryable: true, reason: code };
  // INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, NOT_FOUND, FAILED_PRECONDITION,
  // UNIMPLEMENTED, other OUT_OF_RANGE ...: configuration or code problems a retry will not fix.
  return { code, numericCode, message, retryable: false, reason: code };
}
