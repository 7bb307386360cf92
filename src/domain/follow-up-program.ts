import { FOLLOW_UP_PROGRAM_ID } from './case-schemas';
import { type TProgram, ZProgram } from './program';

/**
 * The `case.resolved` event of a case's `round`-th resolution: the follow-up invitation's ID derives
 * from it, so the reply of each round can be found again by `_id`.
 */
export const followUpEventId = (round: number, caseId: string): string => `case-resolved-${round}:${caseId}`;

/**
 * The short survey a customer gets after their case is resolved; created on first use and
 * editable like any program (PUT /api/programs/case-follow-up), e.g. to change its wording or expiry.
 * Pulsed and without triggers: only a case workflow sends it.
 */
export const followUpProgram: TProgram = ZProgram.parse({
  id: FOLLOW_UP_PROGRAM_ID,
  name: 'Case follow-up: is your problem solved?',
  kind: 'pulsed',
  reminders: ['3d'],
  expiresAfter: '7d',
  survey: {
    editGrace: '10m',
    questions: [
      {
        id: 'solved',
        type: 'single',
        required: true,
        label: { en: 'Is your problem solved?', de: 'Ist Ihr Problem gelöst?' },
        options: [
          { value: 'yes', label: { en: 'Yes', de: 'Ja' } },
          { value: 'no', label: { en: 'No', de: 'Nein' } },
        ],
      },
      {
        id: 'csat',
        type: 'csat',
        required: true,
        label: {
          en: 'How satisfied are you with how we handled it?',
          de: 'Wie zufrieden sind Sie damit, wie wir es gelöst haben?',
        },
      },
      { id: 'comment', type: 'text', label: { en: 'Anything else?', de: 'Möchten Sie uns noch etwas sagen?' } },
    ],
  },
  email: {
    subject: { en: 'Is your problem solved?', de: 'Ist Ihr Problem gelöst?' },
    intro: {
      en: 'We recently told you what we did about your feedback. Please let us know whether that solved it.',
      de: 'Wir haben Ihnen kürzlich mitgeteilt, was wir aufgrund Ihres Feedbacks getan haben. Hat das Ihr Problem gelöst?',
    },
    why: {
      en: 'If it is not solved, your answer reopens the case with the person who handled it.',
      de: 'Falls nicht, wird der Fall mit Ihrer Antwort wieder eröffnet.',
    },
  },
});
