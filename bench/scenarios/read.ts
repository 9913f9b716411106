// Read: /o latency over 30 days of aggregates (`read.o.30d`, p95 goal 50 ms). Owner: the read
// API issue; drive it with ctx.load and compare with ctx.baselines.bareHttp('i').
import { notImplemented } from './not-implemented.ts';

export const read = notImplemented('read', '/o latency for 30 days of data');
