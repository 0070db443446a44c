/**
 * keypool's answer to server-side request forgery, for every URL it calls on
 * someone's behalf (the gateway's upstreams, billing APIs). Two policies:
 *
 * - `metadata`: never a link-local address (169.254.0.0/16, fe80::/10: where
 *   cloud metadata services and their credentials live), a cloud metadata
 *   address or name, or "this host" (0.0.0.0/8, ::). For URLs the operator
 *   configured.
 * - `public`: that, and no loopback, private (RFC 1918, fc00::/7), CGNAT
 *   (100.64.0.0/10) or other non-public address either, unless the operator
 *   allow-listed the host or its address (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS:
 *   names and CIDRs, for self-hosted models). For URLs a brand configured.
 *
 * Names are checked after DNS resolution, at connect time, so a name that
 * resolves to such an address is refused too (no rebinding between check and
 * connect); literal addresses are checked before connecting.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';

const metadata = new BlockList();
metadata.addSubnet('169.254.0.0', 16, 'ipv4');
metadata.addSubnet('0.0.0.0', 8, 'ipv4');
metadata.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud's metadata service
metadata.addSubnet('fe80::', 10, 'ipv6');
metadata.addAddress('fd00:ec2::254', 'ipv6'); // AWS's IPv6 metadata service
metadata.addAddress('::', 'ipv6');

const nonPublic = new BlockList();
nonPublic.addSubnet('127.0.0.0', 8, 'ipv4');
nonPublic.addSubnet('10.0.0.0', 8, 'ipv4');
nonPublic.addSubnet('172.16.0.0', 12, 'ipv4');
nonPublic.addSubnet('192.168.0.0', 16, 'ipv4');
nonPublic.addSubnet('100.64.0.0', 10, 'ipv4'); // CGNAT
nonPublic.addSubnet('198.18.0.0', 15, 'ipv4'); // benchmarking networks
nonPublic.addSubnet('224.0.0.0', 3, 'ipv4'); // multicast and reserved
nonPublic.addAddress('::1', 'ipv6');
nonPublic.addSubnet('fc00::', 7, 'ipv6'); // unique local
nonPublic.addSubnet('fec0::', 10, 'ipv6'); // site-local (deprecated)
nonPublic.addSubnet('ff00::', 8, 'ipv6'); // multicast

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

export type UpstreamPolicy = 'metadata' | 'public';

/** Hosts and networks the operator allows brand-configured URLs to reach. */
export interface UpstreamAllowList {
  hosts: readonly string[];
  /** `10.0.0.0/8`, `fd00::/8`, or single addresses. */
  cidrs: readonly string[];
}

export const NO_ALLOWED_UPSTREAMS: UpstreamAllowList = { hosts: [], cidrs: [] };

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else as it is. */
const unmapped = (address: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

const inList = (list: BlockList, address: string): boolean => {
  const plain = unmapped(address);
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
};

/** Whether keypool refuses to connect to this IP address under any policy (link-local, metadata, "this host"). */
export const isMetadataAddress = (address: string): boolean => inList(metadata, address);

/** Whether this IP address is loopback, private, CGNAT or otherwise not on the public internet. */
export const isNonPublicAddress = (address: string): boolean => inList(nonPublic, address);

export class ForbiddenUpstreamError extends Error {
  readonly code = 'KEYPOOL_FORBIDDEN_UPSTREAM';
  constructor(
    readonly host: string,
    readonly reason: 'metadata' | 'non_public',
  ) {
    super(reason === 'metadata'
      ? `upstream ${host} is a link-local or cloud metadata address, which keypool never calls`
      : `upstream ${host} is a loopback, private or otherwise non-public address, which keypool calls only when the operator allows it (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS)`);
  }
}

/** The reason an error (or its cause) is a refused upstream, or null. */
export function forbiddenUpstream(e: unknown): ForbiddenUpstreamError | null {
  if (e instanceof ForbiddenUpstreamError) return e;
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== e ? forbiddenUpstream(cause) : null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type AllLookup = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export class UpstreamGuard {
  private readonly hosts: Set<string>;
  private readonly allowed = new BlockList();

  constructor(allowList: UpstreamAllowList = NO_ALLOWED_UPSTREAMS) {
    this.hosts = new Set(allowList.hosts.map((h) => h.toLowerCase().replace(/\.$/, '')));
    for (const cidr of allowList.cidrs) {
      const [address, bits] = cidr.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.allowed.addAddress(address, family);
      else this.allowed.addSubnet(address, Number(bits), family);
    }
  }

  /** Why `address`, reached by the name `host`, is refused under `policy`; null when it is allowed. */
  refusal(host: string, address: string | null, policy: UpstreamPolicy): ForbiddenUpstreamError['reason'] | null {
    const name = host.toLowerCase().replace(/\.$/, '');
    if (METADATA_NAMES.has(name) || (address !== null && isMetadataAddress(address))) return 'metadata';
    if (policy === 'metadata' || this.hosts.has(name)) return null;
    if (address === null) return null; // a name: judged by what it resolves to, at connect time
    if (!isNonPublicAddress(address)) return null;
    return inList(this.allowed, address) ? null : 'non_public';
  }

  /** Checks a URL's host before any connection: literal addresses and metadata names. */
  assertAllowed(url: URL, policy: UpstreamPolicy): void {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const reason = this.refusal(host, isIP(unmapped(host)) !== 0 ? host : null, policy);
    if (reason) throw new ForbiddenUpstreamError(host, reason);
  }

  /** A dns.lookup for sockets built on `resolve`, failing for a name that resolves to any refused address. */
  lookup(policy: UpstreamPolicy, resolve: AllLookup = dnsLookup as AllLookup) {
    return (hostname: string, options: object, callback: LookupCallback): void => {
      resolve(hostname, { ...(options as LookupAllOptions), all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        for (const a of addresses) {
          const reason = this.refusal(hostname, a.address, policy);
          if (reason) return callback(new ForbiddenUpstreamError(hostname, reason), []);
        }
        if ((options as { all?: boolean }).all) return callback(null, addresses);
        return callback(null, addresses[0].address, addresses[0].family);
      });
    };
  }
}
