// Client IP of a request (spec §2.1 `ip_address`, §2.2 step 3): the `ip_address` parameter wins,
// then the first X-Forwarded-For entry, then X-Real-IP, then the socket address.
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

const validIp = (v: string | undefined): string | undefined => {
  const trimmed = v?.trim();
  return trimmed !== undefined && isIP(trimmed) !== 0 ? trimmed : undefined;
};

const firstHeader = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Resolves the client IP; a header that does not hold an IP address is skipped. */
export function resolveClientIp(ipAddressParam: unknown, headers: IncomingHttpHeaders, socketAddress: string | undefined): string | null {
  const fromParam = typeof ipAddressParam === 'string' ? validIp(ipAddressParam) : undefined;
  const forwarded = validIp(firstHeader(headers['x-forwarded-for'])?.split(',')[0]);
  const real = validIp(firstHeader(headers['x-real-ip']));
  return fromParam ?? forwarded ?? real ?? validIp(socketAddress) ?? null;
}
