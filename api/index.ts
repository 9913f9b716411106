// Public surface of api/.
export { buildApi, registerApi } from './build.ts';
export type { ApiDeps } from './deps.ts';
export { ensureAdmin, ensureManagementIndexes, BootstrapError } from './bootstrap.ts';
export { createMember, publicMember, type NewMember } from './members.ts';
