/**
 * The gateway's answer to server-side request forgery: whatever URL a brand
 * configured, keypool never connects to a link-local address (169.254.0.0/16,
 * fe80::/10: where cloud metadata services and their credentials live), to a
 * cloud metadata address, or to "this host" (0.0.0.0/8, ::). Names are checked
 * after DNS resolution, at connect time, so a name that resolves to such an
 * address is refused too (no rebinding between check and connect).
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';

const blocked = new BlockList();
blocked.addSubnet('169.254.0.0', 16, 'ipv4');
blocked.addSubnet('0.0.0.0', 8, 'ipv4');
blocked.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud's metadata service
blocked.addSubnet('fe80::', 10, 'ipv6');
blocked.addAddress('fd00:ec2::254', 'ipv6'); // AWS's IPv6 metadata service
blocked.addAddress('::', 'ipv6');

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** Whether keypool refuses to connect to this IP address. */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isForbiddenAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return false;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class ForbiddenUpstreamError extends Error {
  readonly code = 'KEYPOOL_FORBIDDEN_UPSTREAM';
  constructor(readonly host: string) {
    super(`upstream ${host} is a link-local or cloud metadata address, which the gateway never calls`);
  }
}

/** Checks a URL's host before any connection: literal addresses and metadata names. */
export function assertAllowedHost(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (METADATA_NAMES.has(host.replace(/\.$/, '')) || isForbiddenAddress(host)) throw new ForbiddenUpstreamError(host);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type AllLookup = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** A dns.lookup for sockets built on `resolve`, failing for a name that resolves to any forbidden address. */
export function lookupGuarding(resolve: AllLookup) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    resolve(hostname, { ...(options as LookupAllOptions), all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const bad = addresses.find((a) => isForbiddenAddress(a.address));
      if (bad) return callback(new ForbiddenUpstreamError(hostname), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The sockets' lookup: the system resolver, guarded. */
export const guardedLookup = lookupGuarding(dnsLookup as AllLookup);
