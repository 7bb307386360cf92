import type { Db } from 'mongodb';
import { programs } from '../db/collections';
import { isDuplicateKeyError } from '../db/mongo';
import type { TProgram } from '../domain/program';
import type { Templates } from '../mail/templates';
import { HttpError } from './errors';

/** Creates or replaces a program; `createdAt` survives replacements. */
export async function saveProgram(db: Db, program: TProgram): Promise<'created' | 'updated'> {
  const now = new Date();
  const update = { $set: { ...program, updatedAt: now }, $setOnInsert: { createdAt: now } };
  try {
    const result = await programs(db).updateOne({ _id: program.id }, update, { upsert: true });
    return result.upsertedCount ? 'created' : 'updated';
  } catch (err) {
    // Two concurrent first saves of one program (found by the fuzz test): the loser updates.
    if (!isDuplicateKeyError(err)) throw err;
    await programs(db).updateOne({ _id: program.id }, update);
    return 'updated';
  }
}

/** A program may only name an email template and a default locale that ship with the app. */
export function checkShippedTemplates(templates: Templates, program: TProgram): void {
  const locales = [...templates.pageLocales].sort().join(', ');
  if (!templates.pageLocales.has(program.defaultLocale))
    throw new HttpError(400, `invalid program: defaultLocale: page wording ships for ${locales} only`);
  if (!templates.hasEmail(program.email.template, program.defaultLocale))
    throw new HttpError(
      400,
      `invalid program: email.template: no template "${program.email.template}" ships for ${program.defaultLocale} (templates/emails/${program.email.template}.${program.defaultLocale}.html.hbs and .text.hbs)`,
    );
}
