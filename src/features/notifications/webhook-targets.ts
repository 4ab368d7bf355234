import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where a webhook may be sent: public unicast addresses only, unless WEBHOOK_ALLOW_PRIVATE is set.
 * An organizer's URL must not reach the node's own loopback, the private network behind it, or a
 * cloud metadata service (169.254.169.254), whatever way the address is spelled or resolved.
 */

/** IPv4 ranges that are not public unicast (IANA special-purpose registry, multicast, reserved). */
const nonPublicIpv4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) nonPublicIpv4.addSubnet(network, prefix, 'ipv4');

/**
 * IPv6 is allowed only in global unicast (2000::/3), and not in the parts of it that are not public
 * or that carry an IPv4 address a gateway would reach for us (6to4, Teredo). This leaves out
 * loopback, unspecified, IPv4-mapped and NAT64 (::ffff:0:0/96, 64:ff9b::/96), unique-local
 * (fc00::/7), link-local (fe80::/10) and multicast (ff00::/8) without listing them.
 */
const globalUnicastIpv6 = new BlockList();
globalUnicastIpv6.addSubnet('2000::', 3, 'ipv6');
const nonPublicIpv6 = new BlockList();
for (const [network, prefix] of [['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['3fff::', 20]] as const) nonPublicIpv6.addSubnet(network, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  switch (isIP(address)) {
    case 4:
      return !nonPublicIpv4.check(address, 'ipv4');
    case 6:
      return globalUnicastIpv6.check(address, 'ipv6') && !nonPublicIpv6.check(address, 'ipv6');
    default:
      return false;
  }
}

/** Refused by name (RFC 6761): every resolver answers loopback for these, or should. */
const isLocalhostName = (host: string) => /(^|\.)localhost\.?$/.test(host);

export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
  /** `127.0.0.1`, or `localhost resolves to 127.0.0.1`. */
  readonly target: string;
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    const target = host === address ? address : `${host} resolves to ${address}`;
    super(`webhook address not allowed: ${target} (loopback, private, link-local or reserved)`);
    this.target = target;
  }
}

/** The URL's host as a resolver or socket takes it: IPv6 without brackets (URL already made IPv4 dotted-decimal). */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Throws a WebhookAddressError for a host that is an address not public, or a localhost name. */
export function checkHostSpelling(host: string): void {
  if (isLocalhostName(host)) throw new WebhookAddressError(host, host);
  if (isIP(host) && !isPublicAddress(host)) throw new WebhookAddressError(host, host);
}

/** Throws a WebhookAddressError naming the first resolved address that is not public. */
export function checkResolved(host: string, addresses: readonly LookupAddress[]): void {
  const refused = addresses.find(({ address }) => !isPublicAddress(address));
  if (refused) throw new WebhookAddressError(host, refused.address);
}

/** How names are resolved: `dns.lookup` (the system resolver, /etc/hosts included) unless a test says otherwise. */
export type Resolver = (host: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for http.request that resolves, checks every address and hands the socket only what it
 * checked: the connection goes to the address that passed, so a DNS answer that changes between a
 * check and the connect (rebinding) cannot win.
 */
export const publicOnlyLookup = (resolve: Resolver = dnsLookup): LookupFunction => (host, options, callback) => {
  resolve(host, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    try {
      checkResolved(host, addresses);
    } catch (refusal) {
      return callback(refusal as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    return callback(null, first!.address, first!.family);
  });
};

/** What the host resolves to now, or nothing if it does not resolve within `timeoutMs`. */
function resolveWithin(host: string, timeoutMs: number, resolver: Resolver): Promise<LookupAddress[]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), timeoutMs);
    resolver(host, { all: true }, (error, addresses) => {
      clearTimeout(timer);
      resolve(error ? [] : addresses);
    });
  });
}

/**
 * At registration: the host's spelling, then what its name resolves to now. A name that does not
 * resolve (yet) is accepted; every delivery checks again where it connects.
 */
export async function checkTarget(url: string, lookupTimeoutMs: number, resolver: Resolver = dnsLookup): Promise<void> {
  const host = hostOf(new URL(url));
  checkHostSpelling(host);
  if (!isIP(host)) checkResolved(host, await resolveWithin(host, lookupTimeoutMs, resolver));
}
