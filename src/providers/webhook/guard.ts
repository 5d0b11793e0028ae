import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { blockListOf, type Cidr } from '../../config/cidr.ts';

/**
 * Outgoing requests may reach only public addresses (ARCHITECTURE, Security). Loopback, private,
 * link-local, CGNAT, multicast, reserved and documentation ranges are refused unless allowed.
 * The check runs inside the socket's DNS lookup, so the address that was checked is the address
 * connected to (no DNS-rebinding window).
 */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

export class BlockedTargetError extends Error {
  readonly code = 'HERALD_BLOCKED_TARGET';
  constructor(host: string, address: string) {
    super(
      `refused to connect to ${host} (${address}): not a public address; set HERALD_ALLOW_PRIVATE_NETWORKS to allow it`,
    );
    this.name = 'BlockedTargetError';
  }
}

export interface TargetPolicy {
  allowPrivate: boolean;
  allowCidrs: readonly Cidr[];
}

export class TargetGuard {
  private readonly allowAll: boolean;
  private readonly allowed: BlockList;

  constructor(policy: TargetPolicy) {
    this.allowAll = policy.allowPrivate;
    this.allowed = blockListOf(policy.allowCidrs);
  }

  /** Whether a connection to this IP address may be made. */
  permits(address: string): boolean {
    if (this.allowAll) return true;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const mapped = family === 'ipv6' ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
    if (mapped) return this.permits(mapped);
    if (this.allowed.check(address, family)) return true;
    return !NON_PUBLIC.check(address, family);
  }

  /** Checks a URL's host when it is an IP literal (sockets skip DNS lookup for those). */
  checkLiteral(url: URL): BlockedTargetError | undefined {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.permits(host)) return new BlockedTargetError(host, host);
    return undefined;
  }

  /** A `lookup` for net/tls connect that refuses non-public answers. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => !this.permits(a.address));
      if (bad) return callback(new BlockedTargetError(hostname, bad.address), '', 0);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
