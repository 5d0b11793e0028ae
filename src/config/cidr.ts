import { BlockList, isIP } from 'node:net';

/** A CIDR range such as 10.0.0.0/8 or fd00::/8. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses a comma-separated list of CIDR ranges (a bare address is its own /32 or /128).
 * `alsoAllowed` names the other words the caller accepts (e.g. "true", "false"), for the error text.
 */
export function parseCidrList(
  raw: string,
  where: string,
  problems: string[],
  alsoAllowed: readonly string[] = [],
): Cidr[] {
  const out: Cidr[] = [];
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefixRaw] = part.split('/');
    const v = isIP(address);
    const max = v === 6 ? 128 : 32;
    const prefix = prefixRaw === undefined ? max : Number(prefixRaw);
    if (v === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      const words = [...alsoAllowed.map((w) => JSON.stringify(w)), 'a CIDR range such as 10.0.0.0/8'];
      const expected = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0];
      problems.push(`${where}: ${JSON.stringify(part)} is not ${expected}`);
      continue;
    }
    out.push({ address, prefix, family: v === 6 ? 'ipv6' : 'ipv4' });
  }
  return out;
}

export function blockListOf(cidrs: readonly Cidr[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  return list;
}
