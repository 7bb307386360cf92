import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether browser tests run. Outside CI a missing Chromium skips them with a warning; in CI it is a
 * failure, so a broken install can never pass as green.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`browser tests need ${CHROMIUM} in CI (apt-get install chromium)`);
  console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A new page signed in to the admin UI, and the Content-Security-Policy violations it reports
 * (a test expects none: every page must work under the strict policy).
 */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  who: { email: string; password: string },
): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
  });
  await page.goto(`${baseUrl}/admin/login`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.endsWith('/login'));
  return { page, violations };
}

/** A `<progress>` element's value and maximum (the tests compile without the DOM's types). */
export function progressOf(bar: Locator): Promise<[number, number]> {
  return bar.evaluate((el) => {
    const progress = el as unknown as { value: number; max: number };
    return [progress.value, progress.max] as [number, number];
  });
}

/**
 * Saves what the page shows now as a guide's screenshot, `docs/images/<name>.png`, when
 * `CXLOOP_DOC_SCREENSHOTS=1` (`npm run docs:screenshots`); otherwise does nothing. As much as the
 * viewport shows, so the images stay small: from the top of the page, or from `from` when given.
 */
export async function docScreenshot(page: Page, name: string, from?: Locator): Promise<void> {
  if (process.env.CXLOOP_DOC_SCREENSHOTS !== '1') return;
  const file = path.resolve('docs', 'images', `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  if (from) await from.evaluate((el) => (el as unknown as ScrollsIntoView).scrollIntoView({ block: 'start' }));
  else await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: file });
}

/** The little of the DOM's element type `docScreenshot` uses (the tests compile without the DOM's types). */
interface ScrollsIntoView {
  scrollIntoView(options: { block: 'start' }): void;
}
