import { describe, expect, it } from 'vitest';
import { resolveClientIp } from './client-ip.ts';

describe('client IP (spec §2.2)', () => {
  it('prefers ip_address, then X-Forwarded-For, then X-Real-IP, then the socket', () => {
    expect(resolveClientIp('203.0.113.1', { 'x-forwarded-for': '198.51.100.1' }, '127.0.0.1')).toBe('203.0.113.1');
    expect(resolveClientIp(undefined, { 'x-forwarded-for': ' 198.51.100.1 , 10.0.0.1', 'x-real-ip': '192.0.2.1' }, '127.0.0.1')).toBe('198.51.100.1');
    expect(resolveClientIp(undefined, { 'x-forwarded-for': 'garbage', 'x-real-ip': '2001:db8::1' }, '127.0.0.1')).toBe('2001:db8::1');
    expect(resolveClientIp('nope', {}, undefined)).toBeNull();
  });
});
