import ipaddr from 'ipaddr.js';

/** Canonical text of an IPv4/IPv6 address, or null when it is not one. IPv4-mapped IPv6 becomes IPv4. */
export function normalizeIp(value: string): string | null {
  if (!ipaddr.isValid(value)) return null;
  // ipaddr.isValid accepts forms like "1" or "0x1"; require a dotted quad or an IPv6 literal.
  if (!ipaddr.IPv4.isValidFourPartDecimal(value) && !ipaddr.IPv6.isValid(value)) return null;
  let addr = ipaddr.parse(value);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr.toString();
}

/** Canonical `addr/len` text of an address or CIDR range, or null when invalid. */
export function normalizeIpOrCidr(value: string): string | null {
  if (!value.includes('/')) return normalizeIp(value);
  const [addrText, lenText] = value.split('/');
  const addr = normalizeIp(addrText);
  if (addr === null || !/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  const max = addr.includes(':') ? 128 : 32;
  if (len > max) return null;
  const [net] = ipaddr.parseCIDR(`${addr}/${len}`);
  // Normalise to the network address so 203.0.113.9/24 means 203.0.113.0/24.
  const network = ipaddr.fromByteArray(
    net.toByteArray().map((byte, i) => {
      const bits = Math.max(0, Math.min(8, len - i * 8));
      return byte & ((0xff << (8 - bits)) & 0xff);
    }),
  );
  return `${network.toString()}/${len}`;
}
