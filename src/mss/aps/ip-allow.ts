import { BlockList, isIP } from 'node:net';

/** An AP's IP allow-list: addresses or CIDR blocks, IPv4 or IPv6. An empty list allows any address. */
export function parseIpAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0) throw new Error(`not an IP address or CIDR block: ${entry}`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`bad prefix length in ${entry}`);
      list.addSubnet(address, bits, type);
    }
  }
  return list;
}

export function ipAllowed(entries: readonly string[], remote: string): boolean {
  if (entries.length === 0) return true;
  // An IPv4 peer on a dual-stack socket appears as ::ffff:a.b.c.d.
  const address = remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote;
  const family = isIP(address);
  if (family === 0) return false;
  return parseIpAllowList(entries).check(address, family === 6 ? 'ipv6' : 'ipv4');
}
