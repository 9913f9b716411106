// Runs the slowest integration files first. Two workers share the files; when the longest one
// (the rebuild equality test, about 2 minutes) starts last, the run waits for it alone. Files not
// listed keep vitest's own order after these.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOWEST_FIRST = ['rebuild.int.test.ts', 'processing-fault.int.test.ts', 'bench-smoke.int.test.ts', 'fuzz-ingest.int.test.ts'];

const rank = (spec: TestSpecification): number => {
  const i = SLOWEST_FIRST.findIndex((name) => spec.moduleId.endsWith(`/${name}`));
  return i === -1 ? SLOWEST_FIRST.length : i;
};

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
