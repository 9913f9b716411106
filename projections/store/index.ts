export * from './collections.ts';
export * from './apps.store.ts';
export * from './members.store.ts';
export * from './auth.store.ts';
