import { createHmac } from 'node:crypto';
import { customerWorkflowId } from '../../workflows/definitions';

/**
 * An opaque, stable key for a customer ID, which may itself be personal (an email used as ID):
 * HMAC-SHA256 with CUSTOMER_KEY_SECRET, so it cannot be reversed or recomputed without the secret.
 */
export function customerKey(secret: string, customerId: string): string {
  return createHmac('sha256', secret).update(customerId).digest('base64url');
}

/** The workflow ID of the customer's loop: named by their key, never by their ID. */
export function customerLoopId(loop: { customerKeySecret: string }, customerId: string): string {
  return customerWorkflowId(customerKey(loop.customerKeySecret, customerId));
}
