import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifySttError } from '../../../src/stt/errors.ts';

const grpcError = (code: number, details: string): Error =>
  Object.assign(new Error(`${code} ${details}`), { code, details });

describe('classifySttError', () => {
  const cases: Array<[number, string, boolean, string]> = [
    [status.UNAVAILABLE, 'The service is currently unavailable.', true, 'UNAVAILABLE'],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded', true, 'DEADLINE_EXCEEDED'],
    [status.RESOURCE_EXHAUSTED, 'Quota exceeded', true, 'RESOURCE_EXHAUSTED'],
    [status.INTERNAL, 'Internal error', true, 'INTERNAL'],
    [status.ABORTED, 'Aborted', true, 'ABORTED'],
    [status.OUT_OF_RANGE, 'Exceeded maximum allowed stream duration of 305 seconds.', true, 'stream_limit'],
    [
      status.OUT_OF_RANGE,
      'Audio Timeout Error: Long duration elapsed without audio. Audio should be sent close to real time.',
      true,
      'audio_timeout',
    ],
    [status.OUT_OF_RANGE, 'Something else out of range', false, 'OUT_OF_RANGE'],
    [
      status.INVALID_ARGUMENT,
      'The requested model is currently not supported for language : iw-IL.',
      false,
      'INVALID_ARGUMENT',
    ],
    [status.PERMISSION_DENIED, 'Permission denied', false, 'PERMISSION_DENIED'],
    [status.UNAUTHENTICATED, 'Request had invalid authentication credentials.', false, 'UNAUTHENTICATED'],
    [status.NOT_FOUND, 'Recognizer not found', false, 'NOT_FOUND'],
    [status.FAILED_PRECONDITION, 'API not enabled', false, 'FAILED_PRECONDITION'],
  ];
  it.each(cases)('code %i "%s" -> retryable=%s reason=%s', (code, details, retryable, reason) => {
    const c = classifySttError(grpcError(code, details));
    expect(c.retryable).toBe(retryable);
    expect(c.reason).toBe(reason);
    expect(c.message).toBe(details);
  });
  it('treats non-gRPC errors as transient transport failures', () => {
    expect(classifySttError(new Error('socket hang up'))).toMatchObject({
      retryable: true,
      reason: 'transport',
      code: 'UNKNOWN',
    });
  });
});
