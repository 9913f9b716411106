import { describe, expect, it } from 'vitest';
import { resolveClientIp, trustedProxies } from './client-ip.ts';

const loopback = trustedProxies('127.0.0.1,::1');

describe('resolveClientIp', () => {
  it('ip_address wins, then (from a trusted proxy) X-Forwarded-For, then X-Real-IP, then the socket', () => {
    expect(resolveClientIp('203.0.113.1', { 'x-forwarded-for': '198.51.100.1' }, '127.0.0.1', loopback)).toBe('203.0.113.1');
    expect(resolveClientIp(undefined, { 'x-forwarded-for': ' 10.0.0.1 , 198.51.100.1', 'x-real-ip': '192.0.2.1' }, '127.0.0.1', loopback)).toBe('198.51.100.1');
    expect(resolveClientIp(undefined, { 'x-forwarded-for': 'garbage', 'x-real-ip': '2001:db8::1' }, '127.0.0.1', loopback)).toBe('2001:db8::1');
    expect(resolveClientIp(undefined, {}, '::ffff:127.0.0.1', loopback)).toBe('127.0.0.1');
    expect(resolveClientIp('nope', {}, undefined, loopback)).toBeNull();
  });

  it('ignores forwarding headers from a peer that is not a trusted proxy', () => {
    const headers = { 'x-forwarded-for': '198.51.100.1', 'x-real-ip': '192.0.2.1' };
    expect(resolveClientIp(undefined, headers, '203.0.113.50', loopback)).toBe('203.0.113.50');
    expect(resolveClientIp(undefined, headers, '127.0.0.1', trustedProxies(''))).toBe('127.0.0.1');
  });

  it('takes the rightmost X-Forwarded-For entry that is not a trusted proxy', () => {
    const chain = trustedProxies('127.0.0.1, 10.0.0.0/8');
    const headers = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7, 10.1.2.3' };
    expect(resolveClientIp(undefined, headers, '::ffff:127.0.0.1', chain)).toBe('198.51.100.7');
    expect(resolveClientIp(undefined, { 'x-forwarded-for': '10.0.0.5, 10.1.2.3' }, '127.0.0.1', chain)).toBe('10.0.0.5');
  });

  it('refuses a bad proxy entry', () => {
    expect(() => trustedProxies('127.0.0.1, example.com')).toThrow(RangeError);
  });
});
