// Public surface of projections/: the event contract, errors, folds and the MongoDB store.
export * from './errors.ts';
export * from './events.ts';
export * from './store/index.ts';
