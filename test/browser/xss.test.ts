import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { browserAvailable, launchChromium } from '../support/browser';
import {
  ADMIN,
  type Harness,
  api,
  createProgram,
  inviteNewCustomer,
  postForm,
  startHarness,
  waitUntil,
} from '../support/harness';

const SCRIPT = '<script>window.__xss=1</script>';
const ATTRIBUTE = '"><img src=x onerror="window.__xss=1">';
const TEMPLATE = "{{constructor.constructor('window.__xss=1')()}}";
const TEXTAREA = '</textarea><script>window.__xss=1</script>';

describe.runIf(browserAvailable())('script payloads in customer data and program wording', () => {
  let h: Harness;
  let browser: Browser;
  let programId: string;
  let customerId: string;
  let link: string;
  let messageId: string;
  let emailHtml: string;
  let caseId: string;
  let caseProgram: string;

  beforeAll(async () => {
    h = await startHarness();
    programId = await createProgram(h, {
      name: `Program ${SCRIPT}`,
      email: { subject: `Subject ${ATTRIBUTE}`, intro: `Intro ${TEMPLATE}`, why: `Why ${SCRIPT}` },
      survey: {
        editGrace: '1h',
        questions: [
          { id: 'nps', type: 'nps', required: true, label: `Recommend ${ATTRIBUTE}?` },
          { id: 'comment', type: 'text', label: `Tell us ${TEXTAREA}` },
        ],
      },
      themes: { xss: [SCRIPT, 'late'] },
    });
    const invited = await inviteNewCustomer(h, programId, {
      customer: { name: `Ada ${SCRIPT}`, attributes: { region: ATTRIBUTE } },
    });
    ({ link } = invited);
    customerId = invited.customer.id;
    messageId = invited.mail._id;
    emailHtml = invited.mail.html;
    // The test events name every customer "Test Customer": the payload name comes from the API.
    const renamed = await api(h, 'PUT', `/api/customers/${customerId}`, {
      email: invited.customer.email,
      name: `Ada ${SCRIPT}`,
    });
    expect(renamed.status).toBe(200);
    const answered = await postForm(link, { nps: '3', comment: `Late ${SCRIPT} ${ATTRIBUTE} ${TEXTAREA}` });
    expect(answered.status).toBe(200);

    // A case whose reason, customer and timeline carry payloads.
    caseProgram = await createProgram(h, {
      name: `Program ${SCRIPT}`,
      caseRules: [{ when: { metric: 'nps', op: 'lte', value: 6 }, reason: `Reason ${SCRIPT}` }],
    });
    const detractor = await inviteNewCustomer(h, caseProgram);
    await api(h, 'PUT', `/api/customers/${detractor.customer.id}`, {
      email: detractor.customer.email,
      name: `Ada ${SCRIPT}`,
    });
    await postForm(detractor.link, { nps: '1', went_wrong: `Late ${SCRIPT}` });
    caseId = detractor.invitationId;
    await waitUntil('the case to take actions', () =>
      c.emails(h.db).findOne({ _id: `case:${caseId}:assigned-0`, status: 'sent' }),
    );
    const noted = await api(h, 'POST', `/api/cases/${encodeURIComponent(caseId)}/note`, { note: `Note ${ATTRIBUTE}` });
    expect(noted.status).toBe(200);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  /** Opens a page and reports whether any payload ran or was injected; the payload must show as text. */
  async function ranScript(page: Page, open: () => Promise<unknown>, shown: string): Promise<boolean> {
    let dialog = false;
    page.on('dialog', (d) => {
      dialog = true;
      void d.dismiss();
    });
    await open();
    expect(await page.locator('body').textContent()).toContain(shown);
    // The CSP would stop an injected inline script from running, so injected elements count too.
    const injected = await page.evaluate(
      `document.querySelectorAll('script:not([src]), img[src="x"], [onerror]').length`,
    );
    return dialog || injected !== 0 || (await page.evaluate('window.__xss')) !== undefined;
  }

  it('the survey page and its thank-you page show the wording as text', async () => {
    const page = await browser.newPage();
    expect(await ranScript(page, () => page.goto(link), `Recommend ${ATTRIBUTE}?`)).toBe(false);
    expect(await page.locator('textarea').inputValue()).toContain(TEXTAREA);
    await page.getByRole('button').last().click();
    expect(await ranScript(page, () => page.waitForLoadState(), `Why ${SCRIPT}`)).toBe(false);
    await page.close();
  });

  it('the email, opened as a mail client would, runs nothing', async () => {
    const page = await browser.newPage();
    expect(await ranScript(page, () => page.setContent(emailHtml), `Intro ${TEMPLATE}`)).toBe(false);
    expect(emailHtml).not.toContain(SCRIPT);
    await page.close();
  });

  it('every admin page that shows the data runs nothing', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.baseUrl}/admin/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/cases$/);

    const pages: [string, string][] = [
      [`/admin/customers?q=${customerId}`, `Ada ${SCRIPT}`],
      [`/admin/customers/${customerId}`, `Late ${SCRIPT}`],
      [`/admin/customers/${customerId}`, ATTRIBUTE],
      ['/admin/programs', `Program ${SCRIPT}`],
      [`/admin/programs/${programId}`, `Program ${SCRIPT}`],
      ['/admin/outbox', `Subject ${ATTRIBUTE}`],
      [`/admin/outbox/${messageId}`, `Subject ${ATTRIBUTE}`],
      [`/admin/outbox/${messageId}/html`, `Intro ${TEMPLATE}`],
      // Filtered to its program: other test files open cases at the same time.
      [`/admin/cases?view=all&programId=${caseProgram}`, `Reason ${SCRIPT}`],
      [`/admin/cases/${caseId}`, `Late ${SCRIPT}`],
      [`/admin/cases/${caseId}`, `Note ${ATTRIBUTE}`],
      ['/admin/audit', 'case.note'],
    ];
    for (const [path, shown] of pages) {
      const ran = await ranScript(page, () => page.goto(`${h.baseUrl}${path}`), shown);
      expect(ran, path).toBe(false);
    }
    // the reply was scored with the payload as a theme keyword, and nothing ran on its way
    const reply = await c.responses(h.db).findOne({ customerId });
    expect(reply?.answers.comment).toContain(SCRIPT);
    await context.close();
  });
});
