import { WithStartWorkflowOperation } from '@temporalio/client';
import { customerWorkflowId, profileUpdate } from '../../workflows/definitions';
import type { LoopSettings } from './events-service';
import type { TCustomerInput } from './schemas';

/** Long enough for a loop busy with a few transactions; Temporal unreachable answers 503 sooner. */
const PROFILE_DEADLINE_MS = 30_000;

/**
 * Hands a profile change to the customer's loop (started if it is not running) and returns once
 * the loop has written it: the loop is the record's one writer, whichever web process is asked.
 */
export async function updateCustomerProfile(loop: LoopSettings, input: TCustomerInput): Promise<void> {
  await loop.temporal.connection.withDeadline(Date.now() + PROFILE_DEADLINE_MS, () =>
    loop.temporal.workflow.executeUpdateWithStart(profileUpdate, {
      args: [input],
      startWorkflowOperation: new WithStartWorkflowOperation('customerLoopWorkflow', {
        workflowId: customerWorkflowId(input.id),
        taskQueue: loop.taskQueue,
        args: [{ customerId: input.id, idleTimeout: loop.loopIdleTimeout }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    }),
  );
}
