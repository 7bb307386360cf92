import { WorkflowIdReusePolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { connectTemporalClient } from '../../src/temporal/connection';
import {
  type Harness,
  api,
  createProgram,
  eventFor,
  loopIdOf,
  startHarness,
  triggerOf,
  uid,
  waitUntil,
} from '../support/harness';
import { inject } from 'vitest';
import { customerWorkflowId } from '../../workflows/definitions';

describe('the customer loop workflow', () => {
  let h: Harness;
  let temporal: Awaited<ReturnType<typeof connectTemporalClient>>;
  let programId: string;

  beforeAll(async () => {
    h = await startHarness({ env: { LOOP_IDLE_TIMEOUT: '2s' } });
    temporal = await connectTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default' });
    programId = await createProgram(h);
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await h?.stop();
  });

  async function post(customer: { id: string; email: string }) {
    const event = eventFor({ trigger: await triggerOf(h, programId) }, customer);
    expect((await api(h, 'POST', '/api/events', event)).status).toBe(202);
    await waitUntil('the decision', () => c.contactDecisions(h.db).findOne({ eventId: event.id }));
    return event;
  }

  it('when the customer is idle, then the loop ends, and the next transaction starts it again', async () => {
    const customer = { id: uid('cust'), email: `${uid('c')}@example.com` };
    await post(customer);
    const handle = temporal.workflow.getHandle(await loopIdOf(h, customer.id));
    const firstRun = (await handle.describe()).runId;
    await waitUntil(
      'the idle loop to complete',
      async () => (await handle.describe()).status.name === 'COMPLETED',
      10_000,
    );
    await post(customer);
    const second = await temporal.workflow.getHandle(await loopIdOf(h, customer.id)).describe();
    expect(second.runId).not.toBe(firstRun);
    expect(await c.contactDecisions(h.db).countDocuments({ customerId: customer.id })).toBe(2);
  });

  it('when a loop named by the customer ID (an earlier version) still runs, then the keyed loop decides only once it has ended', async () => {
    const customer = { id: uid('cust'), email: `${uid('c')}@example.com` };
    const legacy = await temporal.workflow.start('customerLoopWorkflow', {
      workflowId: customerWorkflowId(customer.id),
      taskQueue: h.taskQueue,
      args: [{ customerId: customer.id, idleTimeout: '3s' }],
    });
    const decided = await post(customer);
    const ended = await legacy.describe();
    expect(ended.status.name).toBe('COMPLETED');
    const decision = await c.contactDecisions(h.db).findOne({ eventId: decided.id });
    expect(decision!.decidedAt.getTime()).toBeGreaterThanOrEqual(ended.closeTime!.getTime());
    expect((await temporal.workflow.getHandle(await loopIdOf(h, customer.id)).describe()).status.name).toBe('RUNNING');
  });

  it('when its history grows past the limit, then it continues as new without losing a transaction or a profile change', async () => {
    const customer = { id: uid('cust'), email: `${uid('c')}@example.com` };
    const handle = await temporal.workflow.start('customerLoopWorkflow', {
      workflowId: await loopIdOf(h, customer.id),
      taskQueue: h.taskQueue,
      args: [{ customerId: customer.id, idleTimeout: '1m', historyLimit: 15 }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    const firstRun = handle.firstExecutionRunId;
    const trigger = await triggerOf(h, programId);
    const events = Array.from({ length: 6 }, () => eventFor({ trigger }, customer));
    const batch = await api(h, 'POST', '/api/events:batch', { events });
    expect(batch.status).toBe(202);
    // Answered only once the loop, amid the transactions and continue-as-new, has written it.
    const profile = await api(h, 'PUT', `/api/customers/${customer.id}`, {
      email: customer.email,
      attributes: { tier: 'gold' },
    });
    expect(profile.status).toBe(200);
    expect(profile.json.attributes).toMatchObject({ tier: 'gold' });
    await waitUntil(
      'every event to be processed',
      async () =>
        (await c.events(h.db).countDocuments({ customerId: customer.id, processedAt: { $exists: true } })) === 6,
    );
    const current = await temporal.workflow.getHandle(await loopIdOf(h, customer.id)).describe();
    expect(current.runId).not.toBe(firstRun);
    expect(await c.contactDecisions(h.db).countDocuments({ customerId: customer.id })).toBe(6);
  });
});
