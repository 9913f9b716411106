// Rebuild: replay the stream into versioned collections; `rebuild.speedup` = rebuild events/s
// ÷ live fold events/s (goal ≥ 5). Owner: the rebuild issue.
import { notImplemented } from './not-implemented.ts';

export const rebuild = notImplemented('rebuild', 'replay speed vs live processing');
