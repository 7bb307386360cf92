import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_OPERATIONS } from '../../src/web/api-contract';
import { createUser, signIn } from '../support/admin';
import { type Harness, api, startHarness } from '../support/harness';

describe('the API reference page', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ withWorker: false });
  });
  afterAll(() => h?.stop());

  it('when operations opens it, then every operation is there with its parameters, answers and a curl line', async () => {
    const user = await createUser(h.db, 'operations');
    const client = await signIn(h.baseUrl, user.email, user.password);
    const page = await client.get('/admin/api');
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const op of API_OPERATIONS) expect(html).toContain(`<code>${op.method.toUpperCase()} ${op.path}</code>`);
    expect(html).toContain('<code>limit</code>');
    expect(html).toContain('max length 200, pattern ^[A-Za-z0-9._:@/+-]+$');
    expect(html).toMatch(/curl -X PUT &#x27;http[^ ]+\/api\/programs\/&lt;id&gt;&#x27;/);
    expect(html).toContain('id="schema-CustomerInput"');
    // Served by the app alone: no script, nothing from elsewhere, under the app's CSP.
    expect(html).not.toMatch(/<script|<link[^>]+href="http/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('when a viewer opens it, then 403', async () => {
    const user = await createUser(h.db, 'viewer');
    const client = await signIn(h.baseUrl, user.email, user.password);
    expect((await client.get('/admin/api')).status).toBe(403);
  });

  it('when the document is fetched with a key, then it is the one the page shows', async () => {
    const res = await api(h, 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.paths as object)).toHaveLength(new Set(API_OPERATIONS.map((op) => op.path)).size);
  });
});
