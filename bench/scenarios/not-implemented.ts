import type { Scenario } from '../context.ts';
import { ScenarioNotImplementedError } from '../errors.ts';

/** A registered scenario whose owner has not written it yet: the report says so. */
export const notImplemented = (name: string, description: string): Scenario => ({
  name,
  description,
  run: () => Promise.reject(new ScenarioNotImplementedError(name)),
});
