import { describe, expect, it } from 'vitest';
import {
  REOPENED_BY_CUSTOMER,
  attachedReplySummary,
  closedSummary,
  escalationWording,
  openedSummary,
} from '../../src/domain/case-wording';

describe("the wording of a case's own steps", () => {
  it('when a case opens, then its entry names the reasons and the owner, and says when the customer may not be contacted', () => {
    const opened = { reasons: ['NPS 3', 'mentions refund'], ownerId: 'olga@example.com', teamName: 'EU' };
    expect(openedSummary({ ...opened, mayContact: true })).toBe(
      'Opened for NPS 3; mentions refund; assigned to olga@example.com (EU)',
    );
    expect(openedSummary({ ...opened, mayContact: false })).toBe(
      'Opened for NPS 3; mentions refund; assigned to olga@example.com (EU). The customer asked not to be contacted: internal action only.',
    );
  });

  it('when another reply joins the case, then its entry gives that reply’s reasons', () => {
    expect(attachedReplySummary(['NPS 2', 'churn risk'])).toBe('Another reply attached (NPS 2; churn risk)');
  });

  it('when an SLA is breached, then the entry names the clock, who was told and the new priority', () => {
    expect(escalationWording('firstResponse', 'maria@example.com', 'high')).toEqual({
      summary: 'The first-response SLA was breached: escalated to maria@example.com, priority high',
      headline: 'Overdue case escalated to you (first-response SLA breached)',
    });
    // Past the top of the chain no one more is told; the priority still rises.
    expect(escalationWording('resolution', null, 'urgent')).toEqual({
      summary: 'The resolution SLA was breached: escalated, priority urgent',
      headline: 'Overdue case escalated to you (resolution SLA breached)',
    });
  });

  it('when the loop closes or the customer reopens, then the entries say why', () => {
    expect(closedSummary(true)).toBe('Closed: the customer confirmed, or did not answer the follow-up');
    expect(closedSummary(false)).toBe('Closed');
    expect(REOPENED_BY_CUSTOMER.summary).toBe(
      'The customer says the problem is not solved: reopened, resolution SLA restarted',
    );
  });
});
