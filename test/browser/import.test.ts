import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { createUser } from '../support/admin';
import { browserAvailable, launchChromium, signedInPage } from '../support/browser';
import { type Harness, startHarness, uid } from '../support/harness';

describe.runIf(browserAvailable())('operations import customers in a real browser', () => {
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

  it('previews the file, maps a column, imports it with a progress bar, and offers the refused rows', async () => {
    const run = uid('ui');
    const rows = Array.from({ length: 300 }, (_, i) => `${run}-${i},${run}-${i}@example.com,EU,note ${i}`);
    const csv = ['Customer,email,Area,Notes', ...rows, `${run}-bad,not-an-email,EU,x`].join('\n');
    const user = await createUser(h.db, 'operations');

    const { page, violations } = await signedInPage(browser, h.baseUrl, user);
    await page.goto(`${h.baseUrl}/admin/customers`);
    await page.getByRole('link', { name: 'Import from CSV' }).click();

    await page
      .getByLabel('CSV file')
      .setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect.poll(() => page.locator('#import-columns tbody tr').count()).toBe(5);
    expect(await page.getByLabel('Column Customer goes to').inputValue()).toBe('attributes.Customer');
    await page.getByLabel('Column Customer goes to').selectOption('id');
    await page.getByLabel('Column Notes goes to').selectOption('ignore');
    await page.getByRole('button', { name: 'Import' }).click();

    await expect
      .poll(() => page.locator('#import-status').textContent(), { timeout: 60_000 })
      .toMatch(/Import finished/);
    expect(await page.locator('#import-status').textContent()).toContain(
      '301 rows: 300 created, 0 updated, 0 unchanged, 1 refused',
    );
    const bar = page.locator('#import-bar');
    expect(
      await bar.evaluate(
        (el) => (el as unknown as { value: number; max: number }).value === (el as unknown as { max: number }).max,
      ),
    ).toBe(true);
    const customer = await c.customers(h.db).findOne({ _id: `${run}-7` });
    expect(customer?.attributes).toEqual({ Area: 'EU' });

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /refused rows/ }).click();
    const file = await (await download).createReadStream();
    let text = '';
    for await (const chunk of file) text += chunk;
    expect(text).toContain(`${run}-bad`);
    expect(violations).toEqual([]);
  }, 120_000);
});
