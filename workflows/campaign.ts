import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  type CampaignProgress,
  type CampaignStatus,
  allSettled,
  countDecision,
  countInvitationEnd,
  loopsCaughtUp,
  newCampaignProgress,
  refusedControl,
} from '../src/domain/campaign';
import {
  campaignControlUpdate,
  campaignDecidedSignal,
  campaignInvitationEndedSignal,
  campaignProgressQuery,
  fanOutTaskQueue,
} from './definitions';

type Activities = ReturnType<typeof createActivities>;

/** On the fan-out queue, which is known once the workflow runs. */
function campaignActivities() {
  const taskQueue = fanOutTaskQueue(workflowInfo().taskQueue);
  const { selectCampaignAudience, fanOutCampaign } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '2s', maximumInterval: '1m' },
  });
  const { saveCampaignProgress } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m' },
  });
  return { selectCampaignAudience, fanOutCampaign, saveCampaignProgress };
}

export interface CampaignInput {
  campaignId: string;
  /** Epoch milliseconds. */
  startAt: number;
  /** Carried over a continue-as-new. */
  state?: CampaignState;
  /** History length after which the campaign continues as new (default 5,000 events). */
  historyLimit?: number;
}

interface CampaignState {
  progress: CampaignProgress;
  /** Where the campaign is when not paused. */
  phase: Exclude<CampaignStatus, 'paused'>;
  paused: boolean;
  /** Set once the audience is selected: the sample's cutoff (null takes everyone). */
  cutoff?: number | null;
  /** The last customer handed over (in `_id` order) and whether every page is done. */
  after?: string;
  fannedOut: boolean;
}

/** How long the next page waits at most for the loops to catch up (see IN_FLIGHT_LIMIT): a stuck loop cannot hold the campaign. */
const CATCH_UP_WAIT = '2m';

/** How often at most the progress document is rewritten while replies come in. */
const SAVE_EVERY_MS = 1_000;

/**
 * A pulsed campaign: at its start time it selects the segment (and sample), hands the customers
 * to their loops page by page — pausable, cancellable — then counts decisions and replies until
 * every invitation has ended. It alone writes the campaign's progress.
 */
export async function campaignWorkflow(input: CampaignInput): Promise<CampaignProgress> {
  const { selectCampaignAudience, fanOutCampaign, saveCampaignProgress } = campaignActivities();
  const state: CampaignState = input.state ?? {
    progress: newCampaignProgress(),
    phase: 'scheduled',
    paused: false,
    fannedOut: false,
  };
  const { progress } = state;
  let dirty = true;
  const cancelled = () => state.phase === 'cancelled';
  const enter = (phase: CampaignState['phase']) => {
    state.phase = phase;
    progress.status = state.paused && !cancelled() ? 'paused' : phase;
    dirty = true;
  };
  setHandler(campaignProgressQuery, () => progress);
  setHandler(campaignDecidedSignal, ({ action, rule }) => {
    countDecision(progress, action, rule);
    dirty = true;
  });
  setHandler(campaignInvitationEndedSignal, ({ phase }) => {
    countInvitationEnd(progress, phase);
    dirty = true;
  });
  setHandler(
    campaignControlUpdate,
    (action) => {
      if (action === 'cancel') enter('cancelled');
      else {
        state.paused = action === 'pause';
        enter(state.phase);
      }
      return progress;
    },
    {
      validator: (action) => {
        const refused = refusedControl(progress.status, action);
        if (refused) throw ApplicationFailure.nonRetryable(refused, 'CampaignControlRefused');
      },
    },
  );
  const save = async () => {
    dirty = false;
    await saveCampaignProgress({ campaignId: input.campaignId, progress: { ...progress } });
  };
  const running = async () => {
    if (state.paused && !cancelled()) await save();
    await condition(() => !state.paused || cancelled());
    return !cancelled();
  };

  if (state.cutoff === undefined) {
    await save();
    await condition(cancelled, Math.max(0, input.startAt - Date.now()));
    if (await running()) {
      enter('selecting');
      await save();
      const selected = await selectCampaignAudience({ campaignId: input.campaignId });
      Object.assign(progress, { matched: selected.matched, sampled: selected.sampled });
      state.cutoff = selected.cutoff;
      if (!cancelled()) enter('sending');
    }
  }

  while (!state.fannedOut) {
    if (patched('campaign-flow-control') && !loopsCaughtUp(progress))
      await condition(() => loopsCaughtUp(progress) || cancelled(), CATCH_UP_WAIT);
    if (!(await running())) break;
    const page = await fanOutCampaign({
      campaignId: input.campaignId,
      after: state.after,
      cutoff: state.cutoff ?? null,
    });
    progress.signalled += page.handedOver;
    state.after = page.after;
    state.fannedOut = page.done;
    await saveAndMaybeContinue(input, state, save);
  }

  if (!cancelled()) enter('awaiting-replies');
  while (!cancelled() && !allSettled(progress)) {
    await condition(() => dirty || cancelled());
    // Counts a second's worth of signals per save.
    await condition(cancelled, SAVE_EVERY_MS);
    await saveAndMaybeContinue(input, state, save);
  }
  if (!cancelled()) enter('completed');
  await save();
  await condition(allHandlersFinished);
  return progress;
}

/** Saves, and continues as new once the history is long (a campaign of 100,000 receives 200,000 signals). */
async function saveAndMaybeContinue(input: CampaignInput, state: CampaignState, save: () => Promise<void>) {
  await save();
  const info = workflowInfo();
  if (info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? 5_000)) {
    await condition(allHandlersFinished);
    await continueAsNew<typeof campaignWorkflow>({ ...input, state });
  }
}
