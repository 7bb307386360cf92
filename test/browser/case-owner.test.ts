import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { browserAvailable, docScreenshot, launchChromium } from '../support/browser';
import { CASE_PEOPLE, createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import { ADMIN, type Harness, inviteNewCustomer, mailTo, postForm, startHarness, waitUntil } from '../support/harness';

describe.runIf(browserAvailable())('a case owner in a real browser', () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('when the owner finds the case in their queue, contacts the customer and resolves it, then the follow-up reaches the outbox', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '2', went_wrong: 'Nobody called me back' })).status).toBe(200);
    await waitUntil('the case to be ready', () =>
      c.emails(h.db).findOne({ _id: `case:${invitationId}:assigned-0`, status: 'sent' }),
    );

    // On a phone-sized screen: the queue and the case page must not scroll sideways.
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
    });
    await page.goto(`${h.baseUrl}/admin/login`);
    await page.getByLabel('Email').fill(CASE_PEOPLE.owner.email);
    await page.getByLabel('Password').fill(CASE_PEOPLE.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/cases$/);
    await page.getByRole('heading', { name: 'My queue' }).waitFor();
    // Other test files give this owner cases too: narrow the queue to the program, as an owner would.
    await page.getByLabel('Program').fill(programId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/programId=/);
    await page.locator(`a[href="/admin/cases/${invitationId}"]`).click();
    await page.locator('blockquote', { hasText: 'Nobody called me back' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    await page.getByLabel('Subject').fill('Your call-back');
    await page.getByLabel('Message (replies come to you)').fill('Sorry! When may I call you?');
    await page.getByRole('button', { name: 'Send email' }).click();
    await page.getByText('Done: contact.').waitFor();
    await page.getByText('Emailed the customer: Your call-back').waitFor();
    await docScreenshot(page, 'case-page');

    // A refused action is explained on the page, not an error page.
    await page.getByLabel('What we did, for the customer').fill('   ');
    await page.getByLabel('Root cause').selectOption('Other');
    await page.evaluate(`document.getElementById('customer-message').removeAttribute('required')`);
    await page.getByRole('button', { name: 'Resolve and tell the customer' }).click();
    await page.getByRole('alert').getByText('Write the message the customer will receive').waitFor();

    await page.getByLabel('Root cause').selectOption('Other');
    await page.getByLabel('What we did, for the customer').fill('We added a call-back check to our process.');
    await page.getByRole('button', { name: 'Resolve and tell the customer' }).click();
    await page.getByText('Done: resolve.').waitFor();
    await page.getByText('Resolved, awaiting the customer').first().waitFor();
    expect(violations).toEqual([]);
    await page.close();

    const followUpMail = await waitUntil('the follow-up survey email', async () =>
      (await mailTo(h, customer.email)).find((m) => m.subject === 'Is your problem solved?'),
    );
    // The admin sees the follow-up in the outbox.
    const admin = await browser.newPage();
    await admin.goto(`${h.baseUrl}/admin/login`);
    await admin.getByLabel('Email').fill(ADMIN.email);
    await admin.getByLabel('Password').fill(ADMIN.password);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL(/\/admin\/cases$/);
    await admin.goto(`${h.baseUrl}/admin/outbox/${encodeURIComponent(followUpMail._id)}`);
    await admin.getByRole('heading', { name: 'Is your problem solved?' }).waitFor();
    await admin.close();
  });
});
