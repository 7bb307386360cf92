import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { requireProductionSecrets } from '../../src/secrets';
import { newCodecKeyEntry } from '../../src/temporal/codec';

const strong = 'Vq3r8L0n2xQm7Tz4Kp9Wb6Yc1Hd5Jf0G';
/** What both commands need besides their own secrets. */
const temporalSecrets = { CUSTOMER_KEY_SECRET: strong, TEMPORAL_CODEC_KEYS: newCodecKeyEntry('k1') };

describe('production secrets', () => {
  it('the web refuses to start without a session secret, or with a demo one', () => {
    expect(() => requireProductionSecrets(loadConfig(temporalSecrets), 'web')).toThrow(/SESSION_SECRET must be set/);
    expect(() =>
      requireProductionSecrets(
        loadConfig({ ...temporalSecrets, SESSION_SECRET: 'demo-session-secret-change-me' }),
        'web',
      ),
    ).toThrow(/SESSION_SECRET is a demo placeholder/);
    expect(() =>
      requireProductionSecrets(loadConfig({ ...temporalSecrets, SESSION_SECRET: 'x'.repeat(20) }), 'web'),
    ).toThrow(/at least 32/);
    expect(() =>
      requireProductionSecrets(loadConfig({ ...temporalSecrets, SESSION_SECRET: strong }), 'web'),
    ).not.toThrow();
  });

  it('the web needs a real admin password when it creates an admin, and real keys when given', () => {
    const env = { ...temporalSecrets, SESSION_SECRET: strong, CXLOOP_ADMIN_EMAIL: 'ops@example.com' };
    expect(() => requireProductionSecrets(loadConfig(env), 'web')).toThrow(/CXLOOP_ADMIN_PASSWORD must be set/);
    expect(() =>
      requireProductionSecrets(loadConfig({ ...env, CXLOOP_ADMIN_PASSWORD: 'demo-password-change-me' }), 'web'),
    ).toThrow(/CXLOOP_ADMIN_PASSWORD is a demo placeholder/);
    expect(() =>
      requireProductionSecrets(
        loadConfig({ ...env, CXLOOP_ADMIN_PASSWORD: 'a long passphrase', CXLOOP_API_KEY: 'demo-api-key-change-me' }),
        'web',
      ),
    ).toThrow(/CXLOOP_API_KEY is a demo placeholder/);
  });

  it('the worker needs the survey token secret', () => {
    expect(() => requireProductionSecrets(loadConfig(temporalSecrets), 'worker')).toThrow(
      /SURVEY_TOKEN_SECRET must be set/,
    );
    expect(() =>
      requireProductionSecrets(loadConfig({ ...temporalSecrets, SURVEY_TOKEN_SECRET: strong }), 'worker'),
    ).not.toThrow();
  });

  it('both need TEMPORAL_CODEC_KEYS, so Temporal never holds payloads in plaintext', () => {
    const env = { SESSION_SECRET: strong, SURVEY_TOKEN_SECRET: strong, CUSTOMER_KEY_SECRET: strong };
    for (const command of ['web', 'worker'] as const) {
      expect(() => requireProductionSecrets(loadConfig(env), command)).toThrow(/TEMPORAL_CODEC_KEYS must be set/);
      expect(() =>
        requireProductionSecrets(
          loadConfig({ ...env, TEMPORAL_CODEC_KEYS: temporalSecrets.TEMPORAL_CODEC_KEYS }),
          command,
        ),
      ).not.toThrow();
    }
  });

  it('both need the customer key secret, which keys customer IDs in Temporal', () => {
    const env = {
      SESSION_SECRET: strong,
      SURVEY_TOKEN_SECRET: strong,
      TEMPORAL_CODEC_KEYS: temporalSecrets.TEMPORAL_CODEC_KEYS,
    };
    for (const command of ['web', 'worker'] as const) {
      expect(() => requireProductionSecrets(loadConfig(env), command)).toThrow(/CUSTOMER_KEY_SECRET must be set/);
      expect(() =>
        requireProductionSecrets(
          loadConfig({ ...env, CUSTOMER_KEY_SECRET: 'demo-customer-key-secret-change-me' }),
          command,
        ),
      ).toThrow(/CUSTOMER_KEY_SECRET is a demo placeholder/);
      expect(() =>
        requireProductionSecrets(loadConfig({ ...env, CUSTOMER_KEY_SECRET: strong }), command),
      ).not.toThrow();
    }
  });
});
