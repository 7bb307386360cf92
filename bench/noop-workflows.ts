/**
 * The ceiling for bench/cases.ts: workflows that do nothing but the same number of activity,
 * local-activity and child-workflow steps as a closed loop, on the same Temporal server.
 */
import { executeChild, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

export interface NoopShape {
  activities: number;
  localActivities: number;
  children: NoopShape[];
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });
const local = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function noopTree(shape: NoopShape, id: string): Promise<void> {
  for (let i = 0; i < shape.localActivities; i++) await local.noop();
  for (let i = 0; i < shape.activities; i++) await noop();
  for (const [i, child] of shape.children.entries())
    await executeChild(noopTree, { workflowId: `${id}/${i}`, args: [child, `${id}/${i}`] });
}
