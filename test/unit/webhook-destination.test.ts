import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import {
  EMPTY_ALLOW_LIST,
  addressRefusal,
  hostVerdict,
  parseAllowList,
  resolvedRefusal,
} from '../../src/domain/webhook-destination';

describe('webhook destinations', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
  ])('refuses %s (%s)', (address, range) => {
    expect(addressRefusal(address, EMPTY_ALLOW_LIST)).toContain(`a ${range} address`);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('lets the public address %s pass', (address) => {
    expect(addressRefusal(address, EMPTY_ALLOW_LIST)).toBeUndefined();
  });

  it.each([
    'localhost',
    'LOCALHOST.',
    'api.localhost',
    'metadata.google.internal',
    '127.0.0.1',
    '[::1]',
    '169.254.169.254',
  ])('refuses the host %s by its name alone', (host) => {
    expect(hostVerdict(host, EMPTY_ALLOW_LIST).kind).toBe('refused');
  });

  it('resolves other names, and allows public literal addresses', () => {
    expect(hostVerdict('helpdesk.example.com', EMPTY_ALLOW_LIST)).toEqual({ kind: 'resolve' });
    expect(hostVerdict('8.8.8.8', EMPTY_ALLOW_LIST)).toEqual({ kind: 'allowed' });
  });

  it('refuses a name when any address it resolves to is internal', () => {
    expect(resolvedRefusal('rebind.example.com', ['8.8.8.8', '127.0.0.1'], EMPTY_ALLOW_LIST)).toMatch(
      /rebind.example.com resolves to 127.0.0.1 is a loopback address/,
    );
    expect(resolvedRefusal('ok.example.com', ['8.8.8.8'], EMPTY_ALLOW_LIST)).toBeUndefined();
    expect(resolvedRefusal('none.example.com', [], EMPTY_ALLOW_LIST)).toMatch(/no address/);
  });

  it('admits internal receivers named in the allow-list: names, addresses and ranges', () => {
    const allow = parseAllowList(' helpdesk.internal , 127.0.0.1, 10.20.0.0/16,fd12::/16 ');
    expect(hostVerdict('helpdesk.internal', allow)).toEqual({ kind: 'allowed' });
    expect(resolvedRefusal('helpdesk.internal', ['10.9.9.9'], allow)).toBeUndefined();
    expect(hostVerdict('127.0.0.1', allow)).toEqual({ kind: 'allowed' });
    expect(addressRefusal('::ffff:127.0.0.1', allow)).toBeUndefined();
    expect(addressRefusal('10.20.3.4', allow)).toBeUndefined();
    expect(addressRefusal('fd12::5', allow)).toBeUndefined();
    expect(addressRefusal('10.21.3.4', allow)).toMatch(/private/);
    expect(addressRefusal('127.0.0.2', allow)).toMatch(/loopback/);
    expect(hostVerdict('localhost', allow).kind).toBe('refused');
  });

  it('names a bad allow-list entry', () => {
    expect(() => parseAllowList('ok.example.com, 10.0.0.0/99')).toThrow(/"10.0.0.0\/99" is not a CIDR range/);
    expect(() => parseAllowList('helpdesk_1.example.com')).toThrow(/"helpdesk_1.example.com" is not a host name/);
    expect(parseAllowList(undefined)).toEqual(EMPTY_ALLOW_LIST);
  });

  it('reads WEBHOOK_ALLOWED_HOSTS from the environment, and a bad entry stops the start naming the variable', () => {
    expect(loadConfig({}).webhookAllowList).toEqual(EMPTY_ALLOW_LIST);
    expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'helpdesk.internal' }).webhookAllowList.hosts).toEqual([
      'helpdesk.internal',
    ]);
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/99' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/99' })).toThrow(/WEBHOOK_ALLOWED_HOSTS: .*10.0.0.0\/99/);
  });
});
