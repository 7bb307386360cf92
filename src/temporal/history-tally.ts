import type { Client } from '@temporalio/client';

/** The Temporal work recorded in workflow histories: what a piece of work costs the server, counted. */
export interface HistoryWork {
  runs: number;
  historyEvents: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  signalsReceived: number;
  signalsSent: number;
  updates: number;
  timers: number;
  childWorkflows: number;
  searchAttributeUpserts: number;
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

/** The marker core records for each local activity (its result is in the marker's details). */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

const emptyWork = (): HistoryWork => ({
  runs: 0,
  historyEvents: 0,
  workflowTasks: 0,
  activities: 0,
  localActivities: 0,
  signalsReceived: 0,
  signalsSent: 0,
  updates: 0,
  timers: 0,
  childWorkflows: 0,
  searchAttributeUpserts: 0,
});

function addEvent(work: HistoryWork, event: HistoryEvent): void {
  work.historyEvents++;
  if (event.workflowTaskCompletedEventAttributes) work.workflowTasks++;
  if (event.activityTaskScheduledEventAttributes) work.activities++;
  if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) work.localActivities++;
  if (event.workflowExecutionSignaledEventAttributes) work.signalsReceived++;
  if (event.signalExternalWorkflowExecutionInitiatedEventAttributes) work.signalsSent++;
  if (event.workflowExecutionUpdateAcceptedEventAttributes) work.updates++;
  if (event.timerStartedEventAttributes) work.timers++;
  if (event.startChildWorkflowExecutionInitiatedEventAttributes) work.childWorkflows++;
  if (event.upsertWorkflowSearchAttributesEventAttributes) work.searchAttributeUpserts++;
}

/**
 * The work in the histories of every run a visibility query lists (each continued-as-new run is
 * one), or of the first `limit` of them, in total and by workflow type.
 */
export async function historyWork(
  client: Client,
  query: string,
  options: { limit?: number } = {},
): Promise<{ total: HistoryWork; byType: Record<string, HistoryWork> }> {
  const total = emptyWork();
  const byType: Record<string, HistoryWork> = {};
  for await (const run of client.workflow.list({ query })) {
    if (total.runs === options.limit) break;
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const ofType = (byType[run.type] ??= emptyWork());
    for (const work of [total, ofType]) work.runs++;
    for (const event of history.events ?? []) for (const work of [total, ofType]) addEvent(work, event);
  }
  return { total, byType };
}

/** The work recorded in `events`, part of one history (e.g. what one signal set off). */
export function workOfEvents(events: HistoryEvent[]): HistoryWork {
  const work = emptyWork();
  for (const event of events) addEvent(work, event);
  return work;
}

/** Each count divided by the units of work it served (closed loops, customers handed over). */
export function perUnit(work: HistoryWork, units: number): HistoryWork {
  return Object.fromEntries(
    Object.entries(work).map(([key, n]) => [key, Math.round((n / units) * 100) / 100]),
  ) as unknown as HistoryWork;
}
