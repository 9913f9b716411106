// Public surface of api/export/: the `/o/export/*` routes (spec §8).
export { registerExportRoutes } from './export.routes.ts';
