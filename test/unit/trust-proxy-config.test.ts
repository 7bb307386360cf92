import express from 'express';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

/** Does the app, set up with this TRUST_PROXY, believe a proxy at `address` that is `hop` hops away? */
function trusts(trustProxy: string | undefined, address: string, hop = 0): boolean {
  const app = express();
  app.set('trust proxy', loadConfig(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }).trustProxy);
  return (app.get('trust proxy fn') as (addr: string, i: number) => boolean)(address, hop);
}

describe('TRUST_PROXY', () => {
  it('when unset, then only proxies on this host are trusted', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(trusts(undefined, '127.0.0.1')).toBe(true);
    expect(trusts(undefined, '10.0.0.7')).toBe(false);
  });

  it('when given Express values, then Express reads them as documented', () => {
    expect(trusts('true', '203.0.113.9')).toBe(true);
    expect(trusts('false', '127.0.0.1')).toBe(false);
    expect(trusts('2', '203.0.113.9', 1)).toBe(true);
    expect(trusts('2', '203.0.113.9', 2)).toBe(false);
    expect(trusts('10.0.0.0/8, 192.168.1.1', '10.4.5.6')).toBe(true);
    expect(trusts('10.0.0.0/8, 192.168.1.1', '192.168.1.2')).toBe(false);
    expect(trusts('10.0.0.0/255.0.0.0', '10.4.5.6')).toBe(true);
    expect(trusts('uniquelocal', '172.16.0.3')).toBe(true);
    expect(trusts('linklocal,loopback', '169.254.1.1')).toBe(true);
    expect(trusts('fd00::/8', 'fd12::1')).toBe(true);
  });

  it.each(['lopback', '10.0.0.1/33', '10.0.0.1,nonsense', '1.2.3.4/', '::1/129', '-1', '10.0.0.0/8/8', 'yes'])(
    'when it is %j, then the start fails naming TRUST_PROXY',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY: not a hop count/);
    },
  );
});
