/**
 * What a use case can refuse, by kind; the web maps each kind to an HTTP status in one place
 * (`src/web/errors.ts`), so nothing here knows about HTTP.
 */
export type AppErrorKind = 'invalid' | 'forbidden' | 'not-found' | 'conflict' | 'gone' | 'too-large' | 'unavailable';

/** A refusal whose message is safe to show; `details` says more to an API client. */
export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
