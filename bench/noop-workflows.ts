/**
 * The ceiling for bench/cases.ts: workflows that do nothing but the same number of activity and
 * child-workflow steps as a closed loop, on the same Temporal server.
 */
import { executeChild, proxyActivities } from '@temporalio/workflow';

export interface NoopShape {
  activities: number;
  children: NoopShape[];
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function noopTree(shape: NoopShape, id: string): Promise<void> {
  for (let i = 0; i < shape.activities; i++) await noop();
  for (const [i, child] of shape.children.entries())
    await executeChild(noopTree, { workflowId: `${id}/${i}`, args: [child, `${id}/${i}`] });
}
