import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { WEBHOOK_ACTIVITY_OPTIONS } from './definitions';

const { deliverErasureWebhooks } = proxyActivities<ReturnType<typeof createActivities>>(WEBHOOK_ACTIVITY_OPTIONS);

/**
 * Tells webhook receivers that a customer was erased. Started by the erasure, which must not wait
 * on a receiver: it answers the person who asked while the delivery is retried here.
 */
export async function erasureWebhooksWorkflow({ customerId }: { customerId: string }): Promise<void> {
  await deliverErasureWebhooks({ customerId });
}
