// Public surface of processors/.
export { ensureStreams } from './streams.ts';
export { startProcessors, type ProcessorsHandle, type ProcessorsDeps } from './main.ts';
