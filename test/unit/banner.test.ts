import { describe, expect, it } from 'vitest';
import { startupBanner } from '../../src/banner';

const facts = {
  publicBaseUrl: 'http://localhost:3000',
  adminEmail: 'admin@cxloop.localhost',
  adminPassword: 'generated-pw-123',
  apiKey: 'cx_generatedkey',
  bootstrap: {},
  outbox: true,
  temporalAddress: 'localhost:7233',
};

describe('the npm start banner', () => {
  it('prints the demo credentials it generated, those of the case handlers included', () => {
    const text = startupBanner({
      ...facts,
      people: [{ email: 'olga@cxloop.localhost', name: 'Olga Owner', password: 'olga-pw-1' }],
    });
    expect(text).toMatch(/Olga Owner\s+olga@cxloop.localhost \/ olga-pw-1/);
    expect(text).toContain('generated-pw-123');
    expect(text).toContain('API key           cx_generatedkey');
    expect(text).toContain('Bearer cx_generatedkey');
  });

  it('never prints a password, key or SMTP credentials the user set in the environment', () => {
    const text = startupBanner({
      ...facts,
      adminPassword: 'my-own-secret-password',
      apiKey: 'my-own-secret-api-key',
      bootstrap: { adminPassword: 'my-own-secret-password', apiKey: 'my-own-secret-api-key' },
      outbox: false,
      smtpUrl: 'smtp://mailuser:smtp-secret@relay.example.com:587',
    });
    expect(text).not.toContain('my-own-secret');
    expect(text).not.toContain('smtp-secret');
    expect(text).toContain('(your CXLOOP_ADMIN_PASSWORD)');
    expect(text).toContain('Bearer $CXLOOP_API_KEY');
    expect(text).toContain('relay.example.com:587');
  });
});
