import { BlockList, isIP } from 'node:net';

/** `::ffff:1.2.3.4` is the IPv4 client 1.2.3.4 on a dual-stack socket. */
export function normalizeIp(ip: string): string {
  const trimmed = ip.trim();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
}

/** A BlockList from IPs and CIDRs; throws on an entry that is neither. */
export function cidrList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`not an IP or CIDR: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new Error(`bad prefix length: ${entry}`);
      }
      list.addSubnet(address, prefix, type);
    }
  }
  return list;
}

/** True when `list` contains `ip` (IPv4 or IPv6). */
export function listContains(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client address: the socket peer, unless that peer is a trusted proxy, in
 * which case X-Forwarded-For is walked from the right, skipping trusted hops;
 * the first untrusted address is the client. Without trusted proxies the header
 * is ignored entirely, so a client cannot spoof its address.
 */
export function clientIp(socketIp: string | undefined, forwardedFor: string | string[] | undefined, trusted: BlockList | undefined): string {
  let current = normalizeIp(socketIp ?? '');
  if (!trusted || !listContains(trusted, current)) return current;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const hops = header
    .split(',')
    .map((h) => normalizeIp(h))
    .filter((h) => h.length > 0);
  while (hops.length > 0 && listContains(trusted, current)) {
    const next = hops.pop() as string;
    if (isIP(next) === 0) break;
    current = next;
  }
  return current;
}

/**
 * The bucket a source address is counted in by brute-force protection: an
 * IPv4 address as is, an IPv6 address by its /64 (one host usually holds a
 * whole /64, so per-address counting would let it rotate freely).
 */
export function addressBucket(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (e.g. ::ffff:1.2.3.4 not caught by normalizeIp) takes two groups; only the first four matter.
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? g : (parseInt(g || '0', 16) || 0).toString(16)))
    .join(':')}::/64`;
}
