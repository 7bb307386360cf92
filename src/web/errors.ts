import { randomBytes } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type AppErrorKind } from '../app/errors';
import type { Templates } from '../mail/templates';

/** The one error type routes throw: an HTTP status and a message safe to show. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The one place an application refusal becomes an HTTP status. */
const STATUS_OF: Record<AppErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  unavailable: 503,
};

/** Seconds a client should wait when MongoDB or Temporal is briefly unreachable. */
const RETRY_AFTER_S = '5';

/** An application error as the HTTP error it answers with (a busy dependency says when to retry). */
export function fromAppError(err: AppError): HttpError {
  const headers: Record<string, string> = err.kind === 'unavailable' ? { 'Retry-After': RETRY_AFTER_S } : {};
  return new HttpError(STATUS_OF[err.kind], err.message, err.details, headers);
}

/** The status a refusal of the application answers with. */
export const statusOf = (kind: AppErrorKind): number => STATUS_OF[kind];

export const notFound: RequestHandler = (req, _res, next) =>
  next(new HttpError(404, `no route for ${req.method} ${req.path}`));

/**
 * JSON under /api, a friendly page elsewhere; never a stack trace. Bad input is a 4xx, an
 * unavailable dependency a 503 with Retry-After, and anything else a 500 whose error ID the log
 * shows next to the stack.
 */
export function errorHandler(templates: Templates): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toHttpError(err);
    if (error.status >= 500) {
      const errorId = (error.details as { errorId?: string } | undefined)?.errorId;
      req.log?.error({ err, errorId }, `${req.method} ${req.route?.path ?? req.path} failed`);
    }
    if (res.headersSent) return;
    res.status(error.status).set(error.headers);
    if (req.originalUrl.startsWith('/api/') || !req.accepts('html')) {
      res.json({ error: error.message, ...(error.details ? { details: error.details } : {}) });
    } else {
      res.type('html').send(
        templates.page('message', {
          title: titleFor(error.status),
          message: error.message,
          errorId: (error.details as { errorId?: string } | undefined)?.errorId,
          status: error.status,
        }),
      );
    }
  };
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof AppError) return fromAppError(err);
  const e = err as { type?: string; status?: number; message?: string; code?: string };
  // body-parser's and the CSRF library's own errors carry a status and a type or code
  if (e?.type === 'entity.parse.failed') return new HttpError(400, 'the request body is not valid JSON');
  if (e?.type === 'entity.too.large') return new HttpError(413, 'the request body is too large');
  if (e?.type === 'parameters.too.many') return new HttpError(413, 'the form has too many fields');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return new HttpError(415, 'unsupported body encoding');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new HttpError(e.status, e.message ?? 'bad request');
  if (isDependencyDown(err))
    return new HttpError(503, 'the service is temporarily unavailable; please try again shortly', undefined, {
      'Retry-After': RETRY_AFTER_S,
    });
  const errorId = randomBytes(6).toString('hex');
  return new HttpError(500, `something went wrong on our side (error ID ${errorId})`, { errorId });
}

/**
 * MongoDB or Temporal could not be reached or is briefly overloaded (as opposed to a bug or bad
 * data). FerretDB reports SQLite's write lock held too long by others as a server error, which a
 * retry shortly after gets past.
 */
function isDependencyDown(err: unknown): boolean {
  const name = (err as Error | undefined)?.name ?? '';
  // A connection lost mid-insertMany reaches us wrapped in a bulk write error, the driver's error inside.
  const wrapped = (err as { errorResponse?: unknown } | undefined)?.errorResponse;
  if (name === 'MongoBulkWriteError' && wrapped instanceof Error) return isDependencyDown(wrapped);
  if (/^Mongo(ServerSelection|Network|NetworkTimeout|TopologyClosed|NotConnected|PoolCleared)Error$/.test(name))
    return true;
  if (name === 'MongoServerError' && /SQLITE_BUSY/.test((err as Error).message)) return true;
  // An answer the driver cannot read (seen from FerretDB under heavy concurrent load): retry.
  if (name === 'MongoUnexpectedServerResponseError') return true;
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4) from the Temporal client
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | undefined)?.code;
  const causeCode = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return name === 'ServiceError' && (code === 14 || code === 4 || causeCode === 14 || causeCode === 4);
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 403) return 'Not allowed';
  if (status === 410) return 'No longer available';
  if (status === 429) return 'Too many requests';
  if (status === 503) return 'Temporarily unavailable';
  if (status >= 500) return 'Something went wrong';
  return 'Something is not right';
}
