import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may not go: the machine itself, private networks, link-local (cloud metadata at
 * 169.254.169.254 among them), carrier-grade NAT, multicast and every other special-purpose range.
 * The ranges come from ipaddr.js (the library Express's proxy-addr relies on); only what it calls
 * `unicast`, a public address, passes. An operator's allow-list admits internal receivers.
 */

/** Names that reach this machine or a cloud's metadata service whatever DNS says. */
const REFUSED_NAMES = ['localhost', 'metadata.google.internal', 'metadata.goog'];

export interface AllowList {
  /** Host names allowed as they are, whatever they resolve to. */
  hosts: string[];
  /** Addresses and CIDR ranges allowed although not public. */
  ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export const EMPTY_ALLOW_LIST: AllowList = { hosts: [], ranges: [] };

/** A host name as compared here: lower case, without a trailing dot or IPv6 brackets. */
export function normalHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * `WEBHOOK_ALLOWED_HOSTS`: a comma list of host names, addresses and CIDR ranges. Throws naming
 * the first entry that is none of them.
 */
export function parseAllowList(text: string | undefined): AllowList {
  const list: AllowList = { hosts: [], ranges: [] };
  for (const raw of (text ?? '').split(',')) {
    const entry = normalHost(raw.trim());
    if (!entry) continue;
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) throw new Error(`"${entry}" is not a CIDR range such as 10.1.0.0/16`);
      list.ranges.push(ipaddr.parseCIDR(entry));
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      list.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
      list.hosts.push(entry);
    } else {
      throw new Error(`"${entry}" is not a host name, an IP address or a CIDR range`);
    }
  }
  return list;
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const parsed = ipaddr.parse(normalHost(address));
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

function inAllowList(address: ipaddr.IPv4 | ipaddr.IPv6, allow: AllowList): boolean {
  return allow.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/** Why a delivery to this IP address is refused, or undefined when it may go. */
export function addressRefusal(address: string, allow: AllowList): string | undefined {
  if (!ipaddr.isValid(normalHost(address))) return `${address} is not an IP address`;
  const parsed = parseAddress(address);
  if (inAllowList(parsed, allow)) return undefined;
  const range = parsed.range();
  return range === 'unicast' ? undefined : `${address} is a ${range} address, not a public one`;
}

export type HostVerdict = { kind: 'allowed' } | { kind: 'refused'; reason: string } | { kind: 'resolve' };

/**
 * What a URL's host name alone says: allowed (an allow-listed name, or a public address), refused
 * (a special address, or a name for this machine or a metadata service), or to be resolved.
 */
export function hostVerdict(hostname: string, allow: AllowList): HostVerdict {
  const host = normalHost(hostname);
  if (allow.hosts.includes(host)) return { kind: 'allowed' };
  if (ipaddr.isValid(host)) {
    const reason = addressRefusal(host, allow);
    return reason ? { kind: 'refused', reason } : { kind: 'allowed' };
  }
  if (REFUSED_NAMES.includes(host) || host.endsWith('.localhost'))
    return { kind: 'refused', reason: `${host} names this machine or a cloud metadata service` };
  return { kind: 'resolve' };
}

/**
 * Why a host name that resolved to these addresses is refused: every address must pass (a name
 * with one internal address could be steered to it), unless the name itself is allow-listed.
 */
export function resolvedRefusal(hostname: string, addresses: string[], allow: AllowList): string | undefined {
  const host = normalHost(hostname);
  if (allow.hosts.includes(host)) return undefined;
  if (addresses.length === 0) return `${host} resolves to no address`;
  for (const address of addresses) {
    const reason = addressRefusal(address, allow);
    if (reason) return `${host} resolves to ${reason}`;
  }
  return undefined;
}
