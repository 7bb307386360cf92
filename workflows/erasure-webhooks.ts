import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { WEBHOOK_MAX_ATTEMPTS } from '../src/domain/webhooks';

/** Retried with backoff like case events, then given up (each attempt is logged for admins). */
const { deliverErasureWebhooks } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '5s',
    maximumInterval: '10m',
    backoffCoefficient: 2,
    maximumAttempts: WEBHOOK_MAX_ATTEMPTS,
  },
});

/**
 * Tells webhook receivers that a customer was erased. Started by the erasure, which must not wait
 * on a receiver: it answers the person who asked while the delivery is retried here.
 */
export async function erasureWebhooksWorkflow({ customerId }: { customerId: string }): Promise<void> {
  await deliverErasureWebhooks({ customerId });
}
