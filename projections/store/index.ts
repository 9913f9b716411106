export * from './collections.ts';
export * from './apps.store.ts';
export * from './members.store.ts';
export * from './auth.store.ts';
export * from './checkpoint.store.ts';
export * from './apply.store.ts';
export * from './core-inputs.store.ts';
export * from './pointer.store.ts';
