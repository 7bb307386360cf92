/** Case priorities, lowest first: an attached reply can only raise a case's priority. */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

const rank = (priority: Priority) => PRIORITIES.indexOf(priority);
export const higherPriority = (a: Priority, b: Priority): Priority => (rank(a) >= rank(b) ? a : b);
