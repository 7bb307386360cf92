import type { Db } from 'mongodb';
import { digestPreferences } from '../src/db/digests';
import { frontlinePeople } from '../src/db/frontline-index';
import { cachedUnits } from '../src/db/units';
import { cachedUser } from '../src/db/users';
import { isPraise, praiseRecipients } from '../src/domain/frontline';
import { maskContactDetails } from '../src/domain/personal-data';
import type { ReplyScores } from '../src/domain/scoring';
import type { Mailer } from '../src/mail/mailer';
import { format, type Templates } from '../src/mail/templates';
import { sendOnce } from './email-once';

export interface PraiseDeps {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  publicBaseUrl: string;
  mailFrom: string;
}

/** Passes a scored reply's praise on; how many people were told. */
export type SendPraise = (reply: { id: string; scores: ReplyScores; locale: string }) => Promise<number>;

/** The language a person chose for their digests, else the one given (the program's). */
async function languageOf(db: Db, userId: string, fallback: string): Promise<string> {
  const chosen = await digestPreferences(db).findOne({ _id: userId }, { projection: { locale: 1 } });
  return chosen?.locale ?? fallback;
}

/**
 * Praise in a promoter's comment, emailed to the frontline people and teams it names and to their
 * managers, once per reply and person (`praise:<reply>:<user>`) however often the activity runs, in
 * each person's chosen language. The comment is quoted without the customer's name and with contact
 * details masked.
 */
export function praiseSender({ db, mailer, templates, publicBaseUrl, mailFrom }: PraiseDeps): SendPraise {
  return async ({ id, scores, locale }) => {
    const comment = scores.verbatim.trim();
    if (!comment || !isPraise(scores)) return 0;
    const [people, units] = await Promise.all([frontlinePeople(db), cachedUnits(db)]);
    let told = 0;
    for (const recipient of praiseRecipients(comment, people, units)) {
      const user = await cachedUser(db, recipient.userId);
      if (!user || user.disabled) continue;
      const praised = recipient.praised.join(', ');
      const language = await languageOf(db, user._id, locale);
      const strings = templates.strings(language);
      const rendered = templates.email('praise', language, 'en', {
        name: user.name,
        praised,
        asManager: recipient.asManager,
        comment: maskContactDetails(comment),
        pageUrl: `${publicBaseUrl}/admin/my-feedback`,
      });
      await sendOnce(db, mailer, {
        idempotencyKey: `praise:${id}:${user._id}`,
        kind: 'praise',
        to: user._id,
        from: mailFrom,
        subject: format(strings.praiseSubject, { praised }),
        ...rendered,
      });
      told++;
    }
    return told;
  };
}
