import { randomUUID } from 'node:crypto';

/** A name no other test (or earlier run on the same database) uses. */
export const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
