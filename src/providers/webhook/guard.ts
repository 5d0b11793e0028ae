import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
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
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1), e.g. ::127.0.0.1.
  ['::', 96],
  // Local-use NAT64 (RFC 8215): translates to whatever the local network decides.
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/**
 * The IPv4 addresses an IPv6 address embeds, in the forms that reach them: IPv4-mapped
 * `::ffff:0:0/96` (dual-stack sockets connect to the IPv4 address), IPv4-translated
 * `::ffff:0:0:0/96` (RFC 6145), NAT64 `64:ff9b::/96` (RFC 6052), 6to4 `2002::/16` (RFC 3056: the
 * relay's IPv4 in bits 16–47) and Teredo `2001::/32` (RFC 4380: the server in bits 32–63, the
 * client inverted in bits 96–127). IPv4-compatible `::/96` is refused as a whole (NON_PUBLIC).
 */
export function embeddedIPv4(address: string): string[] {
  let p: number[];
  try {
    p = ipaddr.IPv6.parse(address).parts;
  } catch {
    return [];
  }
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number) => p.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return [v4(p[6]!, p[7]!)];
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return [v4(p[6]!, p[7]!)];
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return [v4(p[6]!, p[7]!)];
  if (p[0] === 0x2002) return [v4(p[1]!, p[2]!)];
  if (p[0] === 0x2001 && p[1] === 0) return [v4(p[2]!, p[3]!), v4(p[6]! ^ 0xffff, p[7]! ^ 0xffff)];
  return [];
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
    const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : undefined;
    if (!family) return false;
    if (this.allowed.check(address, family)) return true;
    if (NON_PUBLIC.check(address, family)) return false;
    // An IPv6 address that carries an IPv4 one reaches (or is routed towards) that IPv4 address: check it too.
    return family === 'ipv4' || embeddedIPv4(address).every((v4) => this.permits(v4));
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
