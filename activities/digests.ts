import * as c from '../src/db/collections';
import { digestLinkToken, digestPreferenceOf, readDigest, recordDigestLink } from '../src/app/digests';
import { ZDigestPeriod } from '../src/domain/digest';
import { digestEmailKey } from '../src/domain/digest-period';
import { renderDigestEmail } from '../src/mail/digest-email';
import { ApplicationFailure } from '@temporalio/activity';
import { sendOnce, sentEmail } from './email-once';
import type { InvitationDeps } from './invitations';
import { whileBeating } from './heartbeat';

/** An invitation's: the change-frequency link is signed as survey links are. */
export type DigestDeps = InvitationDeps;

/** What became of a digest: no personal data, only the outcome. */
export type DigestOutcome = { status: 'sent' | 'failed' | 'already-sent' | 'empty' | 'off' };

export function createDigestActivities({
  db,
  mailer,
  templates,
  publicBaseUrl,
  mailFrom,
  surveyTokenSecret,
}: DigestDeps) {
  return {
    /**
     * Builds a person's digest of a period from MongoDB and sends it once (key `digest:<user>:<period>`);
     * nothing for a period already sent, an empty digest, a person who chose none or was disabled.
     */
    async sendDigest({ userId, period }: { userId: string; period: string }): Promise<DigestOutcome> {
      if (!ZDigestPeriod.safeParse(period).success)
        throw ApplicationFailure.nonRetryable(`not a digest period: ${period}`);
      return whileBeating(async () => {
        const idempotencyKey = digestEmailKey(userId, period);
        // Sent already: not even read again.
        if (await sentEmail(db, idempotencyKey)) return { status: 'already-sent' };
        const user = await c.users(db).findOne({ _id: userId });
        if (!user || user.disabled) return { status: 'off' };
        const preference = await digestPreferenceOf(db, { id: user._id, role: user.role });
        if (preference.frequency === 'none') return { status: 'off' };
        const digest = await readDigest(db, user, period);
        if (digest.empty) return { status: 'empty' };
        const token = digestLinkToken(surveyTokenSecret, userId);
        await recordDigestLink(db, token, userId);
        const changeUrl = `${publicBaseUrl}/u/digest/${token}`;
        const rendered = renderDigestEmail(templates, digest, {
          locale: preference.locale,
          name: user.name,
          adminUrl: `${publicBaseUrl}/admin`,
          changeUrl,
        });
        const outcome = await sendOnce(db, mailer, {
          idempotencyKey,
          kind: 'digest',
          to: user.email,
          from: mailFrom,
          ...rendered,
          headers: { 'List-Unsubscribe': `<${changeUrl}>` },
        });
        return { status: outcome.status };
      });
    },
  };
}
