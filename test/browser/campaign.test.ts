import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNewCustomers } from '../../src/db/customers';
import { createUser } from '../support/admin';
import { browserAvailable, docScreenshot, launchChromium, progressOf, signedInPage } from '../support/browser';
import { type Harness, createProgram, mailTo, startHarness, uid } from '../support/harness';

describe.runIf(browserAvailable())('operations run a campaign in a real browser', () => {
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

  it('builds a segment, counts it, launches a sampled campaign and watches its progress bar reach the end while the emails go out', async () => {
    const programId = await createProgram(h, {
      kind: 'pulsed',
      triggers: [],
      name: 'Pricing probe',
      expiresAfter: '3s',
    });
    const cohort = uid('cohort');
    const profiles = Array.from({ length: 8 }, (_, i) => ({
      id: `${cohort}-${i}`,
      email: `${cohort}-${i}@example.com`,
      locale: 'en',
      attributes: { cohort, tier: i < 6 ? 'gold' : 'silver' },
    }));
    await insertNewCustomers(h.db, profiles);
    const user = await createUser(h.db, 'operations');

    const { page, violations } = await signedInPage(browser, h.baseUrl, user);
    await page.getByRole('link', { name: 'Campaigns' }).click();

    await page.getByLabel('Name').fill('Gold tier pricing probe');
    await page.getByLabel('Survey (a pulsed program)').selectOption(programId);
    await page.locator('#attr0-name').fill('cohort');
    await page.locator('#attr0-values').fill(cohort);
    await page.locator('#attr1-name').fill('tier');
    await page.locator('#attr1-values').fill('gold');
    await page.getByLabel('a number of them').check();
    await page.getByLabel('How many (or %)').fill('4');
    await page.getByLabel(/^Seed/).fill('ui-seed');
    await page.getByRole('button', { name: 'Count matching customers' }).click();
    await expect
      .poll(() => page.locator('#match-count').textContent())
      .toMatch(/6 customers match; the sample takes 4/);

    // A launch with a mistake shows the error next to the field and keeps what was typed.
    await page.locator('#score-min').fill('90');
    await page.locator('#score-max').fill('10');
    await page.getByRole('button', { name: 'Launch campaign' }).click();
    await expect.poll(() => page.getByText('min must not exceed max').count()).toBe(1);
    expect(await page.locator('#attr0-values').inputValue()).toBe(cohort);
    await page.locator('#score-min').fill('');
    await page.locator('#score-max').fill('');
    await page.getByRole('button', { name: 'Launch campaign' }).click();

    await page.waitForURL(/\/admin\/campaigns\/[^/]+$/);
    const bar = page.locator('#campaign-bar');
    await expect
      .poll(() => progressOf(bar), {
        timeout: 60_000,
      })
      .toEqual([4, 4]);
    await expect
      .poll(async () => (await Promise.all(profiles.map((p) => mailTo(h, p.email)))).filter((m) => m.length).length, {
        timeout: 30_000,
      })
      .toBe(4);
    await expect.poll(() => page.locator('[data-field="status"]').textContent(), { timeout: 60_000 }).toBe('completed');
    expect(await page.locator('[data-field="sent"]').textContent()).toBe('4');
    await docScreenshot(page, 'campaign');
    // Silver-tier customers were never in the segment.
    for (const silver of profiles.slice(6)) expect(await mailTo(h, silver.email)).toEqual([]);
    expect(violations).toEqual([]);
  });
});
