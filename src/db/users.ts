import type { Db } from 'mongodb';
import * as c from './collections';
import { cachedSetting } from './settings-cache';

/** What the closed loop's emails need of a staff account; the rest (password hash, sessions) is not kept in memory. */
export type StaffName = Pick<c.UserDoc, '_id' | 'name' | 'disabled'>;

/** A staff account's name, for emails that name or tell a person: read once per process and SETTINGS_CACHE_TTL. */
export const cachedUser = (db: Db, userId: string): Promise<StaffName | null> =>
  cachedSetting(db, 'users', userId, () =>
    c.users(db).findOne<StaffName>({ _id: userId }, { projection: { name: 1, disabled: 1 } }),
  );
