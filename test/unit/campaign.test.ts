import { describe, expect, it } from 'vitest';
import {
  IN_FLIGHT_LIMIT,
  allSettled,
  countDecision,
  loopsCaughtUp,
  newCampaignProgress,
} from '../../src/domain/campaign';

describe('campaign flow control', () => {
  const handedOver = (signalled: number, decided: number) => {
    const progress = newCampaignProgress();
    progress.signalled = signalled;
    for (let i = 0; i < decided; i++) countDecision(progress, i % 2 ? 'send' : 'skip', 'fatigue');
    return progress;
  };

  it('hands over the next page while fewer than the limit wait for their loop, and holds it at the limit', () => {
    expect(loopsCaughtUp(handedOver(0, 0))).toBe(true);
    expect(loopsCaughtUp(handedOver(IN_FLIGHT_LIMIT - 1, 0))).toBe(true);
    expect(loopsCaughtUp(handedOver(IN_FLIGHT_LIMIT, 0))).toBe(false);
    expect(loopsCaughtUp(handedOver(IN_FLIGHT_LIMIT + 1000, 1000))).toBe(false);
    expect(loopsCaughtUp(handedOver(IN_FLIGHT_LIMIT + 1000, 1001))).toBe(true);
    expect(loopsCaughtUp(handedOver(3, 1), 2)).toBe(false);
    expect(loopsCaughtUp(handedOver(3, 2), 2)).toBe(true);
  });

  it('counts skips and sends as decided, so a campaign whose customers are all skipped is not held', () => {
    const progress = handedOver(4, 4);
    expect(progress).toMatchObject({ decided: 4, sent: 2, skipped: { fatigue: 2 } });
    expect(loopsCaughtUp(progress, 1)).toBe(true);
    expect(allSettled(progress)).toBe(false); // two invitations still open
  });
});
