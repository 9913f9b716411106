// Every scenario `npm run bench` knows, in run order. To add one: write a module exporting a
// Scenario (`{ name, description, run(ctx) => Promise<Figure[]> }`) and replace its stub here.
// Use the figure ids of bench/goals.ts so its goals are judged.
import type { Scenario } from '../context.ts';
import { appUserSearch } from './app-user-search.ts';
import { cardinality } from './cardinality.ts';
import { exportScenario } from './export.ts';
import { ingest } from './ingest.ts';
import { processing } from './processing.ts';
import { read } from './read.ts';
import { rebuild } from './rebuild.ts';
import { report } from './report.ts';

export const SCENARIOS: readonly Scenario[] = [ingest, processing, read, rebuild, cardinality, exportScenario, report, appUserSearch];

export const scenarioNames = (): string[] => SCENARIOS.map((s) => s.name);
