// Public surface of http/: the Countly HTTP edge shared by ingest and the API (STYLE.md §1).
export {
  CountlyReplyError,
  RelayedRefusalError,
  REFUSALS,
  httpErrors,
  type FixedTextCode,
  type Refusal,
  type RefusalCode,
  type ReplyResult,
} from './errors.ts';
export { createHttpServer, type HttpServerOptions } from './server.ts';
export { requestParams, type BodyIssue } from './body.ts';
export { sendJsonText, sendMessage, sendOutput } from './reply.ts';
export { escapeMessageValue } from './escape.ts';
export { resolveClientIp, trustedProxies, type TrustedProxies } from './client-ip.ts';
export { parseJsonText, type JsonText } from './json-text.ts';
