import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import {
  type ProfileChange,
  invitationWorkflowId,
  profileChangedSignal,
  replySubmittedSignal,
  transactionRecordedSignal,
} from '../../workflows/definitions';
import { customerLoopId } from './customer-key';

export interface LoopSettings {
  temporal: Client;
  taskQueue: string;
  loopIdleTimeout: string;
  /** Keys the customers' loop IDs (CUSTOMER_KEY_SECRET). */
  customerKeySecret: string;
  log: (msg: string) => void;
}

/** What the worker's activities need to hand work to customers' loops, besides their client. */
export type LoopDefaults = Pick<LoopSettings, 'loopIdleTimeout' | 'customerKeySecret'>;

/** Signal-with-start: the loop is started if it is not running (it ends when idle). */
export async function signalCustomerLoop(loop: LoopSettings, customerId: string, eventId: string): Promise<boolean> {
  try {
    await signalWithStartLoop(loop, customerId, transactionRecordedSignal, { eventId });
    return true;
  } catch (err) {
    loop.log(
      `event ${eventId} stored; signalling its customer loop failed, the sweep will retry: ${(err as Error).message}`,
    );
    return false;
  }
}

/** An Update-with-start on the customer's loop: started if it is not running, answered once done. */
export function updateCustomerLoop<Ret, Args extends unknown[]>(
  loop: LoopSettings,
  customerId: string,
  update: Parameters<LoopSettings['temporal']['workflow']['executeUpdateWithStart']>[0],
  args: Args,
  deadlineMs: number,
): Promise<Ret> {
  return loop.temporal.connection.withDeadline(Date.now() + deadlineMs, () =>
    loop.temporal.workflow.executeUpdateWithStart(update, {
      args,
      startWorkflowOperation: new WithStartWorkflowOperation('customerLoopWorkflow', {
        workflowId: customerLoopId(loop, customerId),
        taskQueue: loop.taskQueue,
        args: [{ customerId, idleTimeout: loop.loopIdleTimeout }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    }),
  ) as Promise<Ret>;
}

/** Hands a changed profile to the customer's loop, the record's one writer (started if not running). */
export async function signalProfileChange(
  loop: LoopSettings,
  customerId: string,
  change: ProfileChange,
): Promise<void> {
  await signalWithStartLoop(loop, customerId, profileChangedSignal, change);
}

/** Signals the customer's loop within the signal deadline, starting it if it is not running. */
function signalWithStartLoop<Arg>(
  loop: LoopSettings,
  customerId: string,
  signal: SignalDefinition<[Arg]>,
  arg: Arg,
): Promise<unknown> {
  return withSignalDeadline(loop.temporal, () =>
    loop.temporal.workflow.signalWithStart('customerLoopWorkflow', {
      workflowId: customerLoopId(loop, customerId),
      taskQueue: loop.taskQueue,
      args: [{ customerId, idleTimeout: loop.loopIdleTimeout }],
      signal,
      signalArgs: [arg],
    }),
  );
}

/** Tells the invitation workflow; a failure is left to the sweep, the reply is already safe. */
export async function signalReply(
  temporal: Client,
  invitationId: string,
  log: (msg: string) => void,
): Promise<boolean> {
  try {
    await withSignalDeadline(temporal, () =>
      temporal.workflow
        .getHandle(invitationWorkflowId(invitationId))
        .signal(replySubmittedSignal, { responseId: invitationId }),
    );
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw err;
    log(
      `reply ${invitationId} stored; signalling its workflow failed, the sweep will retry: ${(err as Error).message}`,
    );
    return false;
  }
}

/** The work is already safe in MongoDB: a Temporal that does not answer soon is left to the sweep, not waited for. */
const SIGNAL_DEADLINE_MS = 5_000;

export function withSignalDeadline<T>(temporal: Client, signal: () => Promise<T>): Promise<T> {
  return temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, signal);
}
