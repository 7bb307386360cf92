import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { loadUnits } from '../src/db/units';
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

/**
 * Praise in a promoter's comment, emailed to the frontline people and teams it names and to their
 * managers, once per reply and person (`praise:<reply>:<user>`) however often the activity runs. The
 * comment is quoted without the customer's name and with contact details masked.
 */
export function praiseSender({ db, mailer, templates, publicBaseUrl, mailFrom }: PraiseDeps): SendPraise {
  return async ({ id, scores, locale }) => {
    const comment = scores.verbatim.trim();
    if (!comment || !isPraise(scores)) return 0;
    // The people with a frontline ID: a few among the staff (the users collection is small).
    const [frontline, units] = await Promise.all([
      c
        .users(db)
        .find({ frontlineId: { $exists: true } }, { projection: { name: 1, units: 1, disabled: 1 } })
        .toArray(),
      loadUnits(db),
    ]);
    const people = frontline
      .filter((person) => !person.disabled)
      .map((person) => ({ id: person._id, name: person.name, units: person.units ?? [] }));
    let told = 0;
    for (const recipient of praiseRecipients(comment, people, units)) {
      const user = await c.users(db).findOne({ _id: recipient.userId }, { projection: { name: 1, disabled: 1 } });
      if (!user || user.disabled) continue;
      const praised = recipient.praised.join(', ');
      const strings = templates.strings(locale);
      const rendered = templates.email('praise', locale, 'en', {
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
