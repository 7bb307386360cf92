import { createHash, createHmac } from 'node:crypto';

/** Survey links carry a 256-bit token; the database keeps only its SHA-256, so a dump holds no live link. */
export const hashSurveyToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The token of an invitation, derived from a server secret so that the worker can put the same link
 * into the invitation and every reminder (and after any retry) without storing it anywhere.
 */
export const surveyTokenFor = (secret: string, invitationId: string) =>
  createHmac('sha256', secret).update(`survey-token:${invitationId}`).digest('base64url');

/** What a token looks like: anything else is refused before any lookup. */
export const isWellFormedToken = (token: string) => /^[A-Za-z0-9_-]{20,100}$/.test(token);
