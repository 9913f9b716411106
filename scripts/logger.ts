import pino, { type DestinationStream, type Logger } from 'pino';
import type { TallyConfig } from '../streams.config.ts';

/** pino JSON logs; tests pass an in-memory destination to read them back. */
export function createLogger(config: Pick<TallyConfig, 'logLevel'>, destination?: DestinationStream): Logger {
  const opts = { level: config.logLevel, base: { app: 'tally' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination === undefined ? pino(opts) : pino(opts, destination);
}
