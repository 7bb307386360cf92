import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { insertNewCustomers } from '../../src/db/customers';
import { createUser } from '../support/admin';
import { browserAvailable, docScreenshot, launchChromium, progressOf, signedInPage } from '../support/browser';
import { type Harness, mailTo, startHarness, uid } from '../support/harness';

describe.runIf(browserAvailable())('operations build a program and run it as a campaign in a real browser', () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('builds a survey with a follow-up question, previews and tests its email, saves it, and launches it to a segment', async () => {
    const programId = uid('probe');
    const cohort = uid('cohort');
    const customers = Array.from({ length: 5 }, (_, i) => ({
      id: `${cohort}-${i}`,
      email: `${cohort}-${i}@example.com`,
      locale: 'en',
      attributes: { cohort },
    }));
    await insertNewCustomers(h.db, customers);
    const user = await createUser(h.db, 'operations');

    const { page, violations } = await signedInPage(browser, h.baseUrl, user);
    await page.goto(`${h.baseUrl}/admin/programs`);
    await page.getByRole('link', { name: 'New program' }).click();

    await page.getByLabel(/^Program ID/).fill(programId);
    await page.getByLabel('Name', { exact: true }).fill('Checkout probe');
    await page.getByLabel('Kind').selectOption('pulsed');
    await page.getByLabel(/^Trigger events/).fill('');
    await page.getByLabel(/^Reminders/).fill('');
    await page.getByLabel('Expires after').fill('3s');
    // The builder: the first question is the NPS one; add a follow-up for detractors.
    await page.getByLabel('Question 1 text').fill('How likely are you to recommend our checkout?');
    await page.getByRole('button', { name: 'Add question' }).click();
    await page.getByLabel('Question 2 ID').fill('what_went_wrong');
    await page.getByLabel('Question 2 text').fill('What went wrong at checkout?');
    await page.getByLabel('Question 2 shown').selectOption('nps');
    await page.getByLabel('detractors').check();
    await page.getByLabel('subject (en)').fill('Two clicks about our checkout');
    await page.getByLabel('intro (en)').fill('We rebuilt our checkout and would like to know how it went.');

    await page.getByRole('button', { name: 'Preview email' }).click();
    const preview = page.frameLocator('iframe[name="email-preview"]');
    await expect
      .poll(() => preview.locator('body').textContent())
      .toContain('How likely are you to recommend our checkout?');
    expect(await preview.locator('body').textContent()).toContain('We rebuilt our checkout');
    await docScreenshot(page, 'program-editor', page.locator('#survey-builder'));
    await page.getByRole('button', { name: 'Send me a test' }).click();
    await expect.poll(() => preview.locator('body').textContent()).toContain(`was sent to ${user.email}`);
    const [test] = await mailTo(h, user.email);
    expect(test?.subject).toBe('[Test] Two clicks about our checkout');

    // A mistake is shown next to its field, and what was typed stays.
    await page.getByLabel('Expires after').fill('3 seconds');
    await page.getByRole('button', { name: 'Save program' }).click();
    await expect.poll(() => page.locator('.error').first().textContent()).toMatch(/duration/i);
    expect(await page.getByLabel('Question 2 ID').inputValue()).toBe('what_went_wrong');
    await page.getByLabel('Expires after').fill('3s');
    await page.getByRole('button', { name: 'Save program' }).click();
    await page.waitForURL(`${h.baseUrl}/admin/programs/${programId}`);

    const saved = await c.programs(h.db).findOne({ _id: programId });
    expect(saved).toMatchObject({ kind: 'pulsed', expiresAfter: '3s', reminders: [] });
    expect(saved?.survey.questions[1]).toMatchObject({
      id: 'what_went_wrong',
      type: 'text',
      showIf: { question: 'nps', npsCategory: ['detractor'] },
    });
    expect(await c.auditLog(h.db).findOne({ subject: `program ${programId}`, action: 'program.create' })).toBeTruthy();

    // The new program, launched as a campaign to the cohort.
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByLabel('Name').fill('Checkout probe to the cohort');
    await page.getByLabel('Survey (a pulsed program)').selectOption(programId);
    await page.locator('#attr0-name').fill('cohort');
    await page.locator('#attr0-values').fill(cohort);
    await page.getByRole('button', { name: 'Launch campaign' }).click();
    await page.waitForURL(/\/admin\/campaigns\/[^/]+$/);
    await expect
      .poll(() => progressOf(page.locator('#campaign-bar')), {
        timeout: 60_000,
      })
      .toEqual([5, 5]);
    await expect
      .poll(
        async () =>
          (await Promise.all(customers.map((cu) => mailTo(h, cu.email)))).filter((m) => m.length === 1).length,
        {
          timeout: 30_000,
        },
      )
      .toBe(5);
    expect((await mailTo(h, customers[0]!.email))[0]?.subject).toBe('Two clicks about our checkout');
    expect(violations).toEqual([]);
  });
});
