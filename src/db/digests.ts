import type { Db } from 'mongodb';
import type { DigestPreference } from '../domain/digest';

/** A person's digest choice (`_id` = the user's ID); absent until they choose: their role's default. */
export interface DigestPreferenceDoc extends DigestPreference {
  _id: string;
  updatedAt: Date;
  updatedBy: string;
}

/**
 * A person's change-frequency link (`_id` = SHA-256 of its token, like survey tokens): the token is
 * derived from the server's secret by the worker, which records its hash here so that the web tier
 * can find the person by `_id` without knowing the secret.
 */
export interface DigestLinkDoc {
  _id: string;
  userId: string;
  createdAt: Date;
}

export const digestPreferences = (db: Db) => db.collection<DigestPreferenceDoc>('digest_preferences');
export const digestLinks = (db: Db) => db.collection<DigestLinkDoc>('digest_links');
