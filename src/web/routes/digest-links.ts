import { type Request, type Response, Router } from 'express';
import type { Db } from 'mongodb';
import { AppError } from '../../app/errors';
import { changeDigestByLink, digestLinkState } from '../../app/digests';
import { DIGEST_FREQUENCIES, type DigestPreference } from '../../domain/digest';
import { type Templates, format } from '../../mail/templates';
import type { LoopSettings } from '../../temporal/loop-client';
import { allowPublic } from '../access';

const FREQUENCY_STRINGS = { daily: 'digestLinkDaily', weekly: 'digestLinkWeekly', none: 'digestLinkNone' } as const;

/**
 * The change-frequency link in every digest (`/u/digest/:token`): works without signing in, the
 * unguessable signed token standing for the person. A GET only shows the choice (mail scanners open
 * every link); the form's POST changes it.
 */
export function digestLinkRouter({ db, loop, templates }: { db: Db; loop: LoopSettings; templates: Templates }) {
  const router = Router();

  const render = (
    res: Response,
    status: number,
    token: string,
    state: { user: { email: string }; preference: DigestPreference } | null,
    extra: { saved?: string; error?: string } = {},
  ) => {
    const locale = state?.preference.locale ?? 'en';
    const text = templates.strings(locale);
    const page = state
      ? templates.page('digest-link', {
          token,
          locale,
          email: state.user.email,
          text,
          public: true,
          frequencies: DIGEST_FREQUENCIES.map((value) => ({
            value,
            label: text[FREQUENCY_STRINGS[value]],
            selected: value === state.preference.frequency,
          })),
          ...extra,
        })
      : templates.page('message', {
          title: text.digestLinkUnknownTitle,
          message: text.digestLinkUnknownMessage,
          locale,
          text,
          public: true,
        });
    res
      .status(state ? status : 404)
      .type('html')
      .send(page);
  };

  router.get(
    '/u/digest/:token',
    allowPublic('digest link: unguessable signed token; GET only shows'),
    async (req: Request<{ token: string }>, res) =>
      render(res, 200, req.params.token, await digestLinkState(db, req.params.token)),
  );

  router.post(
    '/u/digest/:token',
    allowPublic('digest link: unguessable signed token stands for the person'),
    async (req: Request<{ token: string }>, res) => {
      const token = req.params.token;
      const input = { frequency: req.body?.frequency, locale: req.body?.locale };
      try {
        const changed = await changeDigestByLink(db, loop, token, input);
        if (!changed) return render(res, 404, token, null);
        const text = templates.strings(changed.preference.locale);
        const saved =
          changed.preference.frequency === 'none'
            ? format(text.digestLinkStopped, { email: changed.user.email })
            : format(text.digestLinkSaved, {
                email: changed.user.email,
                frequency:
                  text[changed.preference.frequency === 'daily' ? 'digestLinkDailyWord' : 'digestLinkWeeklyWord'] ?? '',
              });
        render(res, 200, token, changed, { saved });
      } catch (err) {
        if (!(err instanceof AppError) || err.kind !== 'invalid') throw err;
        render(res, 422, token, await digestLinkState(db, token), { error: err.message });
      }
    },
  );

  return router;
}
