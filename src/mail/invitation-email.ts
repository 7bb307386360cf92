import { localize } from '../domain/localize';
import type { TProgram } from '../domain/program';
import { scaleOf } from '../domain/survey';
import type { Templates } from './templates';

const SCALE_TYPES = new Set(['nps', 'csat', 'ces', 'rating']);

export interface InvitationEmailInput {
  kind: 'invitation' | 'reminder';
  locale: string;
  name?: string;
  surveyUrl: string;
  unsubscribeUrl: string;
}

/**
 * A program's invitation or reminder as the customer gets it: subject, HTML and text in their
 * locale, with one-click score links when the first question is a scale. Used to send it and to
 * preview it in the program editor.
 */
export function renderInvitationEmail(
  templates: Templates,
  program: Pick<TProgram, 'name' | 'email' | 'survey' | 'defaultLocale'>,
  input: InvitationEmailInput,
): { subject: string; html: string; text: string } {
  const { locale, surveyUrl } = input;
  const first = program.survey.questions[0]!;
  const scale = SCALE_TYPES.has(first.type) ? scaleOf(first) : undefined;
  const subject =
    (input.kind === 'reminder' ? reminderPrefix(locale) : '') +
    localize(program.email.subject, locale, program.defaultLocale);
  const rendered = templates.email(program.email.template, locale, program.defaultLocale, {
    kind: input.kind,
    reminder: input.kind === 'reminder',
    name: input.name,
    subject,
    intro: localize(program.email.intro, locale, program.defaultLocale),
    why: localize(program.email.why, locale, program.defaultLocale),
    question: localize(first.label, locale, program.defaultLocale),
    questionType: first.type,
    scores: scale
      ? Array.from({ length: scale.max - scale.min + 1 }, (_, i) => ({
          value: scale.min + i,
          url: `${surveyUrl}?score=${scale.min + i}`,
        }))
      : undefined,
    surveyUrl,
    unsubscribeUrl: input.unsubscribeUrl,
    programName: program.name,
  });
  return { subject, ...rendered };
}

function reminderPrefix(locale: string): string {
  return locale.startsWith('de') ? 'Erinnerung: ' : locale.startsWith('fr') ? 'Rappel : ' : 'Reminder: ';
}
