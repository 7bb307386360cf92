import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { backfillRollupTotals } from '../../src/db/rollup-totals';
import { createUser } from '../support/admin';
import { browserAvailable, docScreenshot, launchChromium, signedInPage } from '../support/browser';
import { type Harness, createProgram, startHarness } from '../support/harness';

/** Where the test leaves its screenshot (for a person to look at; gitignored). */
const SCREENSHOT = path.resolve('.tmp', 'dashboard-test.png');

/** Weekly rollups of one program over 2002's first quarter: EU customers happy, NA ones not. */
function quarter(programId: string): c.RollupDoc[] {
  const docs: c.RollupDoc[] = [];
  for (let week = 0; week < 13; week++) {
    const day = new Date(Date.UTC(2002, 0, 2 + week * 7)).toISOString().slice(0, 10);
    const promoters = 3 + (week % 4);
    const detractors = 2;
    const counters = (p: number, d: number) => ({
      responses: p + d,
      nps: { count: p + d, sum: p * 10 + d * 2, promoters: p, detractors: d },
      csat: { count: p + d, sum: p * 5 + d * 2, satisfied: p },
      themes: { delivery: d, staff: p },
    });
    const doc = (segment: string, p: number, d: number) => ({
      _id: `${programId}|${day}|${segment}`,
      programId,
      day,
      segment,
      ...counters(p, d),
    });
    docs.push(doc('all', promoters, detractors), doc('region:EU', promoters, 0), doc('region:NA', 0, detractors));
  }
  return docs;
}

/** Pixels of a PNG with the given colour (±8 per channel), counted by the browser on a blank page. */
async function pixelsOf(browser: Browser, png: Buffer, [r, g, b]: [number, number, number]): Promise<number> {
  const blank = await browser.newPage();
  try {
    return await blank.evaluate(
      async ({ data, rgb }) => {
        // The tests compile without the DOM's types: the little of it used here.
        const dom = globalThis as unknown as {
          Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
          document: {
            createElement(tag: 'canvas'): {
              width: number;
              height: number;
              getContext(kind: '2d'): {
                drawImage(image: unknown, x: number, y: number): void;
                getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
              } | null;
            };
          };
        };
        const img = new dom.Image();
        img.src = `data:image/png;base64,${data}`;
        await img.decode();
        const canvas = dom.document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const context = canvas.getContext('2d')!;
        context.drawImage(img, 0, 0);
        const pixels = context.getImageData(0, 0, img.width, img.height).data;
        let count = 0;
        for (let i = 0; i < pixels.length; i += 4)
          if ([0, 1, 2].every((k) => Math.abs(pixels[i + k]! - rgb[k]!) <= 8)) count++;
        return count;
      },
      { data: png.toString('base64'), rgb: [r, g, b] },
    );
  } finally {
    await blank.close();
  }
}

describe.runIf(browserAvailable())('the experience dashboard in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  let programId: string;

  beforeAll(async () => {
    h = await startHarness({ withWorker: false });
    browser = await launchChromium();
    programId = await createProgram(h);
    await c.rollups(h.db).insertMany(quarter(programId));
    await backfillRollupTotals(h.db);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('draws the charts, changes a filter, and keeps each chart next to its table', async () => {
    const viewer = await createUser(h.db, 'viewer');
    const { page, violations } = await signedInPage(browser, h.baseUrl, viewer);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${h.baseUrl}/admin/dashboard?from=2002-01-01&to=2002-03-31&program=${programId}`);

    const nps = page.locator('[data-chart="over-time-NPS"]');
    await expect.poll(() => nps.locator('svg[role="img"] path').count()).toBeGreaterThan(5);
    const box = await nps.locator('svg').boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(150);
    // The line is drawn in the first series colour, #2457c5: it must show on screen.
    expect(await pixelsOf(browser, await nps.screenshot(), [0x24, 0x57, 0xc5])).toBeGreaterThan(100);
    expect(await page.locator('[data-figure="NPS"] .figure-value').textContent()).toBe('37.3');
    await docScreenshot(page, 'dashboard');

    // Its table, for screen readers and anyone who wants the numbers.
    await nps.getByText('NPS as a table').click();
    const rows = nps.locator('table tbody tr');
    expect(await rows.count()).toBe(13); // weeks (by their Mondays) from 2001-12-31 to 2002-03-25
    expect(await rows.nth(1).locator('td').allTextContents()).toEqual(['2002-01-07', '33.3', '6']);

    await page.getByLabel('Segment', { exact: true }).selectOption('region:NA');
    await page.getByLabel('Compare with').selectOption('none');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/segment=region%3ANA/);
    expect(await page.locator('[data-figure="NPS"] .figure-value').textContent()).toBe('-100');
    expect(await page.locator('[data-figure="NPS"]').textContent()).not.toContain('was');
    const byRegion = page.locator('[data-chart="by-region"]');
    expect(await byRegion.locator('svg text').allTextContents()).toEqual(expect.arrayContaining(['EU', 'NA']));

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    writeFileSync(SCREENSHOT, await page.screenshot({ fullPage: true }));
    expect(violations).toEqual([]);
  });
});
