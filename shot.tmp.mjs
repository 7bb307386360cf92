import { chromium } from 'playwright-core';
const [,, url, out, width] = process.argv;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: Number(width || 1000), height: 900 } });
if (process.env.LOGIN) {
  await page.goto(new URL('/admin/login', url).href);
  const [email, password] = process.env.LOGIN.split(':');
  await page.fill('#email', email); await page.fill('#password', password);
  await page.click('button[type=submit]');
}
await page.goto(url);
await page.screenshot({ path: out, fullPage: true });
await browser.close();
