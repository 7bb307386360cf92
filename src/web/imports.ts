import type { Request, Response } from 'express';
import { AppError } from '../app/errors';
import { type startImport, importView } from '../app/imports';

/**
 * With `Prefer: respond-async` (RFC 7240) the answer is 202 and the job as it starts, once the file
 * is received (its progress at `location`); otherwise the finished import.
 */
export async function answerImport(
  req: Request,
  res: Response,
  { job, finished }: Awaited<ReturnType<typeof startImport>>,
  location: string,
): Promise<void> {
  if (!/\brespond-async\b/i.test(req.get('prefer') ?? '')) {
    res.json(importView(await finished));
    return;
  }
  // The outcome, a failure included, is in the job's record.
  finished.catch((err: unknown) => {
    if (!(err instanceof AppError)) req.log?.error({ err }, `import ${job._id} stopped`);
  });
  res.status(202).location(location).set('preference-applied', 'respond-async').json(importView(job));
}
