import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('when nothing is set, then the defaults of the public contract apply', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      temporal: { address: undefined, namespace: 'default', taskQueue: 'cxloop', tls: false },
      mongo: { uri: undefined, dbName: 'cxloop' },
      smtp: { url: undefined },
      replySweepInterval: '30s',
      migrateOnStart: false,
    });
    expect(config.dataDir.endsWith('data')).toBe(true);
  });

  it('when services are set, then they are used as given and an empty value counts as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      TEMPORAL_ADDRESS: 'temporal:7233',
      MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/',
      SMTP_URL: 'smtps://u:p@relay.example.com:465',
      PUBLIC_BASE_URL: 'https://cx.example.com/',
      TEMPORAL_API_KEY: 'key',
      MAIL_FROM: '',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicBaseUrl: 'https://cx.example.com',
      temporal: { address: 'temporal:7233', tls: true },
      mongo: { uri: 'mongodb+srv://user:pw@cluster.example.net/' },
      smtp: { url: 'smtps://u:p@relay.example.com:465', from: 'cxloop surveys <surveys@cxloop.localhost>' },
    });
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['TEMPORAL_ADDRESS', 'http://temporal:7233', /TEMPORAL_ADDRESS: host:port/],
    ['MONGODB_URI', 'postgres://db', /MONGODB_URI: a mongodb:\/\/ or mongodb\+srv:\/\/ URI/],
    ['SMTP_URL', 'relay:25', /SMTP_URL: an smtp:\/\/ or smtps:\/\/ URL/],
    ['PUBLIC_BASE_URL', 'cx.example.com', /PUBLIC_BASE_URL/],
    ['CXLOOP_ADMIN_PASSWORD', 'short', /CXLOOP_ADMIN_PASSWORD: at least 12 characters/],
    ['REPLY_SWEEP_INTERVAL', 'often', /REPLY_SWEEP_INTERVAL: a duration/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['MIGRATE_ON_START', 'yes', /MIGRATE_ON_START/],
  ])('when %s is %s, then start fails naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
