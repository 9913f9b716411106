// Export: /o/export/* throughput. Owner: the exports issue.
import { notImplemented } from './not-implemented.ts';

export const exportScenario = notImplemented('export', 'export rows/s');
