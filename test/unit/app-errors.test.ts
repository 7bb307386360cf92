import { describe, expect, it } from 'vitest';
import { AppError, type AppErrorKind } from '../../src/app/errors';
import { toHttpError } from '../../src/web/errors';

describe('an application error as the HTTP answer', () => {
  const statuses: [AppErrorKind, number][] = [
    ['invalid', 400],
    ['forbidden', 403],
    ['not-found', 404],
    ['conflict', 409],
    ['gone', 410],
    ['too-large', 413],
    ['unavailable', 503],
  ];

  it.each(statuses)('%s answers %i with its message and details', (kind, status) => {
    const error = toHttpError(new AppError(kind, `a ${kind} refusal`, [{ path: 'x' }]));
    expect(error).toMatchObject({ status, message: `a ${kind} refusal`, details: [{ path: 'x' }] });
  });

  it('tells a client when to retry only when a dependency is busy', () => {
    expect(toHttpError(new AppError('unavailable', 'later')).headers).toEqual({ 'Retry-After': '5' });
    expect(toHttpError(new AppError('conflict', 'no')).headers).toEqual({});
  });
});
