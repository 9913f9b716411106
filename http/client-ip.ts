// Client IP of a request (spec §2.1 `ip_address`, §2.2 step 3): the `ip_address` parameter wins;
// then, only when the peer is a trusted proxy (config.ingest.trustedProxies), X-Forwarded-For
// and X-Real-IP; otherwise the socket address. Countly believes X-Forwarded-For from anyone,
// which lets any client choose its own country (docs/countly-differences.md).
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

const validIp = (v: string | undefined): string | undefined => {
  const trimmed = v?.trim();
  return trimmed !== undefined && isIP(trimmed) !== 0 ? trimmed : undefined;
};

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) → `192.0.2.1`. */
const unmapped = (ip: string): string => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip);

const firstHeader = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The peers whose forwarding headers are believed. */
export interface TrustedProxies {
  has(ip: string): boolean;
}

/** Parses `config.ingest.trustedProxies` (comma-separated IPs or CIDR ranges). Throws on a bad entry. */
export function trustedProxies(list: string): TrustedProxies {
  const blocks = new BlockList();
  for (const entry of list.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new RangeError(`trusted proxy "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) blocks.addAddress(address, type);
    else blocks.addSubnet(address, Number(bits), type);
  }
  return {
    has(ip: string): boolean {
      const plain = unmapped(ip);
      const family = isIP(plain);
      return family !== 0 && blocks.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The address X-Forwarded-For names: walking from the right (the entry our proxy added), the
 * first one that is not itself a trusted proxy. Entries left of it are the client's own claims.
 */
function forwardedFor(header: string | undefined, trusted: TrustedProxies): string | undefined {
  const chain = (header ?? '').split(',').map((e) => validIp(e));
  for (let i = chain.length - 1; i >= 0; i--) {
    const ip = chain[i];
    if (ip === undefined) return undefined;
    if (!trusted.has(ip) || i === 0) return unmapped(ip);
  }
  return undefined;
}

/** Resolves the client IP; a header that does not hold an IP address is skipped. */
export function resolveClientIp(
  ipAddressParam: unknown,
  headers: IncomingHttpHeaders,
  socketAddress: string | undefined,
  trusted: TrustedProxies,
): string | null {
  const fromParam = typeof ipAddressParam === 'string' ? validIp(ipAddressParam) : undefined;
  if (fromParam !== undefined) return fromParam;
  const peer = validIp(socketAddress);
  if (peer === undefined) return null;
  if (!trusted.has(peer)) return unmapped(peer);
  const forwarded = forwardedFor(firstHeader(headers['x-forwarded-for']), trusted);
  const real = validIp(firstHeader(headers['x-real-ip']));
  return forwarded ?? (real === undefined ? undefined : unmapped(real)) ?? unmapped(peer);
}
