import type { Digest } from '../domain/digest';
import { GOAL_STATUS_LABELS } from '../domain/goals';
import { type Templates, format } from './templates';

export interface DigestEmailInput {
  locale: string;
  name: string;
  /** The admin UI, and the signed link that changes the frequency without signing in. */
  adminUrl: string;
  changeUrl: string;
}

/** A digest as its person reads it: subject, HTML and text in their language (English where missing). */
export function renderDigestEmail(
  templates: Templates,
  digest: Digest,
  input: DigestEmailInput,
): { subject: string; html: string; text: string } {
  const text = templates.strings(input.locale);
  const subject = format(text[digest.frequency === 'daily' ? 'digestSubjectDaily' : 'digestSubjectWeekly'], {
    from: digest.from,
    to: digest.to,
  });
  const rendered = templates.email('digest', input.locale, 'en', {
    ...digest,
    ...input,
    daily: digest.frequency === 'daily',
    goals: digest.goals.map((goal) => ({
      ...goal,
      statusLabel: text[`digestGoal.${goal.status}`] ?? GOAL_STATUS_LABELS[goal.status],
    })),
  });
  return { subject, ...rendered };
}
