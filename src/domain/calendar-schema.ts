import { z } from 'zod';
import { type Calendar, WEEKDAYS, minutesOf } from './business-hours';

const ZClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time such as 09:00 (24:00 ends a day)');
/** Objects, not [start, end] pairs: FerretDB stores no nested arrays. */
const ZInterval = z
  .object({ start: ZClock, end: ZClock })
  .strict()
  .refine(({ start, end }) => minutesOf(start) < minutesOf(end), 'an interval starts before it ends');

/** A team's working time: weekly hours in its time zone, minus holidays (local dates). */
export const ZCalendar = z
  .object({
    timezone: z.string().min(1).max(64),
    weekly: z.partialRecord(z.enum(WEEKDAYS), z.array(ZInterval).max(4)),
    holidays: z
      .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-12-25'))
      .max(100)
      .default([]),
  })
  .strict() satisfies z.ZodType<Calendar>;
