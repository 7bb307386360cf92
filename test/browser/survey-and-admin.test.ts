import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { browserAvailable, launchChromium } from '../support/browser';
import { ADMIN, type Harness, createProgram, inviteNewCustomer, startHarness, waitUntil } from '../support/harness';

describe.runIf(browserAvailable())('in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  let programId: string;

  beforeAll(async () => {
    h = await startHarness();
    programId = await createProgram(h);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('when a customer answers with the keyboard on a phone, then the detractor follow-up appears and the reply is stored', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    await page.goto(link);
    // Strings, not functions: they run in the page, and this project's TypeScript has no DOM types.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    // Keyboard only: Tab into the score group, arrow to 3, then to the button.
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.name')).toBe('nps');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    expect(await page.locator('input[name=nps]:checked').getAttribute('value')).toBe('3');
    await page.getByRole('button', { name: 'Send my answers' }).press('Enter');

    await page.getByLabel('What went wrong?').fill('The delivery was late.');
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await page.getByRole('heading', { name: 'Thank you for your answers' }).waitFor();

    const reply = await waitUntil('the reply to be scored', async () => {
      const r = await c.responses(h.db).findOne({ _id: invitationId });
      return r?.scores ? r : undefined;
    });
    expect(reply.answers).toEqual({ nps: 3, went_wrong: 'The delivery was late.' });
    await page.close();
  });

  it('when the customer clicks a score in the email, then the page records it at once and asks the follow-up', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
    });
    await page.goto(`${link}?score=9`);
    await page.getByText('your score of 9 is recorded').waitFor();
    await page.getByLabel('What went well?').waitFor();
    const reply = await waitUntil('the clicked score to be stored', async () =>
      c.responses(h.db).findOne({ _id: invitationId }),
    );
    expect(reply.answers).toEqual({ nps: 9 });
    expect(violations).toEqual([]);
    await page.close();
  });

  it('when the customer clicks a score without JavaScript, then the button records it', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${link}?score=2`);
    expect(await page.locator('input[name=nps]:checked').getAttribute('value')).toBe('2');
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toBeNull();
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await page.getByLabel('What went wrong?').waitFor();
    const reply = await waitUntil('the score to be stored', async () =>
      c.responses(h.db).findOne({ _id: invitationId }),
    );
    expect(reply.answers).toEqual({ nps: 2 });
    await context.close();
  });

  it('when a required answer is missing, then the error is announced next to the question', async () => {
    const { link } = await inviteNewCustomer(h, programId);
    const page = await browser.newPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/check the 1 highlighted answer/);
    expect(await page.locator('#err-nps').textContent()).toMatch(/answer|score/i);
    await page.close();
  });

  it('when an owner signs in, then the outbox shows the survey email and the customer page shows the reply', async () => {
    const { customer, link } = await inviteNewCustomer(h, programId);
    const page = await browser.newPage();
    await page.goto(`${link}?score=10`);
    await page.goto(`${h.baseUrl}/admin/outbox`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/outbox$/);
    await page.getByRole('link', { name: 'How did we do?' }).first().click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('How did we do?');
    const frame = page.frameLocator('iframe[title="Email as HTML"]');
    await expect.poll(() => frame.getByRole('link', { name: '10', exact: true }).count()).toBeGreaterThan(0);

    await page.goto(`${h.baseUrl}/admin/customers/${customer.id}`);
    expect(await page.locator('body').textContent()).toContain('How likely are you to recommend us?');
    await page.close();
  });
});
