import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Templates } from '../mail/templates';

/** The one error type routes throw: an HTTP status and a message safe to show. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound: RequestHandler = (req, _res, next) =>
  next(new HttpError(404, `no route for ${req.method} ${req.path}`));

/** JSON under /api, a friendly page elsewhere; never a stack trace, never a 500 for bad input. */
export function errorHandler(templates: Templates, log: (msg: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, message, details } = toHttpError(err);
    if (status >= 500) log(`${req.method} ${req.path} failed: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) return;
    res.status(status);
    if (req.path.startsWith('/api/') || !req.accepts('html')) {
      res.json({ error: message, ...(details ? { details } : {}) });
    } else {
      res.type('html').send(templates.page('message', { title: titleFor(status), message, status }));
    }
  };
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  // body-parser's own errors carry a status and a type
  if (e?.type === 'entity.parse.failed') return new HttpError(400, 'the request body is not valid JSON');
  if (e?.type === 'entity.too.large') return new HttpError(413, 'the request body is too large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return new HttpError(415, 'unsupported body encoding');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new HttpError(e.status, e.message ?? 'bad request');
  return new HttpError(503, 'the service is temporarily unavailable; please try again shortly');
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 410) return 'No longer available';
  if (status >= 500) return 'Temporarily unavailable';
  return 'Something is not right';
}
