import { TallyError } from '../projections/index.ts';

/** What a refusal answers: its status, and its text when the text never varies. */
export interface Refusal {
  readonly statusCode: number;
  readonly message?: string;
}

/**
 * Every expected refusal of the Countly edge, by stable code. The text on the wire is Countly's
 * (tests assert it); the code says what happened, for logs and callers, and fixes the status,
 * so a refusal cannot drift from the status its kind answers with. Some statuses are Countly's
 * quirks, kept on purpose (a missing `app_id` on a read is 401, a missing app on delete 500).
 */
export const REFUSALS = {
  /** No route answers this path or sub-path. */
  TALLY_HTTP_INVALID_PATH: { statusCode: 400, message: 'Invalid path' },
  /** A URL that cannot be decoded, or that carries a `#` fragment (no client sends one). */
  TALLY_HTTP_INVALID_URL: { statusCode: 400 },
  /** The request is malformed in a way the HTTP framework caught (headers, body syntax). */
  TALLY_HTTP_BAD_REQUEST: { statusCode: 400 },
  /** `/o?method=` names no read method. */
  TALLY_HTTP_UNKNOWN_METHOD: { statusCode: 400, message: 'Invalid method' },
  /** An HTTP method the route does not take (HEAD on a route that writes). */
  TALLY_HTTP_METHOD_NOT_ALLOWED: { statusCode: 405, message: 'Method not allowed' },
  /** A required parameter or argument is absent or empty. */
  TALLY_HTTP_MISSING_PARAMETER: { statusCode: 400 },
  /** A parameter or argument is present but unusable (type, length, shape, policy). */
  TALLY_HTTP_INVALID_PARAMETER: { statusCode: 400 },
  /** Neither `api_key` nor `auth_token` was given. */
  TALLY_HTTP_MISSING_CREDENTIALS: { statusCode: 400, message: 'Missing parameter "api_key" or "auth_token"' },
  /** An `auth_token` was given that is unknown, expired or not valid here. */
  TALLY_HTTP_INVALID_TOKEN: { statusCode: 400, message: 'Token not valid' },
  /** The credentials name no member. */
  TALLY_HTTP_UNKNOWN_USER: { statusCode: 401, message: 'User does not exist' },
  /** The member is locked. */
  TALLY_HTTP_USER_LOCKED: { statusCode: 401, message: 'User is locked' },
  /** The caller lacks the right this request needs. */
  TALLY_HTTP_NOT_AUTHORIZED: { statusCode: 401 },
  /** An `app_id` the caller may use names no app (Countly answers it as an auth failure). */
  TALLY_HTTP_UNKNOWN_APP_ID: { statusCode: 401, message: 'App does not exist' },
  /** An SDK request's `app_key` names no app. */
  TALLY_HTTP_INVALID_APP_KEY: { statusCode: 400, message: 'App does not exist' },
  /** A management request names an app that does not exist. */
  TALLY_HTTP_APP_NOT_FOUND: { statusCode: 404, message: 'App not found' },
  /** `/i/apps/delete` names an app that does not exist (Countly's 500). */
  TALLY_HTTP_APP_DELETE_NOT_FOUND: { statusCode: 500, message: 'Error deleting app' },
  /** The app is locked against this change or this data. */
  TALLY_HTTP_APP_LOCKED: { statusCode: 403 },
  /** The app is paused and takes no data. */
  TALLY_HTTP_APP_PAUSED: { statusCode: 400, message: 'App is currently not accepting data' },
  /** A name, key or email that must be unique is taken. */
  TALLY_HTTP_ALREADY_EXISTS: { statusCode: 400 },
  /** The thing the request names (member, running rebuild) does not exist. */
  TALLY_HTTP_NOT_FOUND: { statusCode: 404 },
  /** `/i/token/delete` without `tokenid` (Countly's 404). */
  TALLY_HTTP_TOKEN_ID_MISSING: { statusCode: 404, message: 'Token id not provided' },
  /** A task id names no task the caller may see (spec §7.3). */
  TALLY_HTTP_TASK_NOT_FOUND: { statusCode: 400, message: 'Task does not exist' },
  /** `/o/tasks/list` could not query the tasks (Countly's 500 with a quoted text). */
  TALLY_HTTP_QUERY_FAILED: { statusCode: 500, message: '"Query failed"' },
  /** `/i/tasks/edit` could not store the change (Countly's 503 `Error`). */
  TALLY_HTTP_TASK_EDIT_FAILED: { statusCode: 503, message: 'Error' },
  /** The app's ingest rate limit is used up; Retry-After says when to come back. */
  TALLY_HTTP_RATE_LIMITED: { statusCode: 429, message: 'Too many requests' },
  /** The request carries more (events, bulk items, bytes) than is accepted. */
  TALLY_HTTP_TOO_LARGE: { statusCode: 413 },
  /** A dashboard route got a key starting with `$` in its query, params or body (spec §9.2: Countly's 500, as text). */
  TALLY_HTTP_DOLLAR_KEY: { statusCode: 500, message: 'Dollar sign is not allowed in keys' },
  /** A dashboard form came without its CSRF token, or with a wrong one (spec §5.1: 403, as text). */
  TALLY_HTTP_CSRF: { statusCode: 403, message: 'Forbidden' },
} as const satisfies Readonly<Record<`TALLY_HTTP_${string}`, Refusal>>;

export type RefusalCode = keyof typeof REFUSALS;

/** The codes whose text never varies: their refusals may leave `result` out. */
export type FixedTextCode = { [K in RefusalCode]: (typeof REFUSALS)[K] extends { readonly message: string } ? K : never }[RefusalCode];

/** What the message writer puts under `result`: Countly's text, or its list of problems. */
export type ReplyResult = string | readonly string[];

interface ReplyOptions {
  readonly cause?: unknown;
  readonly headers?: Record<string, string>;
}

const messageOf = (code: RefusalCode): string | undefined => {
  const refusal: Refusal = REFUSALS[code];
  return refusal.message;
};

/**
 * An answer in Countly's message-writer shape `{"result": <result>}`, its status fixed by its
 * code (see REFUSALS). Used for every expected refusal (bad input, missing app, auth), spec §1.3.
 * `result` defaults to the refusal's registered text.
 */
export class CountlyReplyError extends TallyError {
  override readonly name: string = 'CountlyReplyError';
  readonly code: RefusalCode | 'TALLY_HTTP_RELAYED_REFUSAL';
  override readonly statusCode: number;
  readonly result: ReplyResult;
  readonly headers: Record<string, string>;
  constructor(code: FixedTextCode, result?: ReplyResult, options?: ReplyOptions);
  constructor(code: RefusalCode, result: ReplyResult, options?: ReplyOptions);
  constructor(code: RefusalCode, result?: ReplyResult, options?: ReplyOptions) {
    // The overloads make `result` present whenever the code has no registered text.
    const text = result ?? messageOf(code) ?? '';
    super(typeof text === 'string' ? text : JSON.stringify(text), options);
    this.code = code;
    this.statusCode = REFUSALS[code].statusCode;
    this.result = text;
    this.headers = options?.headers ?? {};
  }
}

/**
 * A refusal another process decided (a processor's answer to a rebuild command): its status
 * travels with it, so it is the one refusal whose status is not fixed by its code.
 */
export class RelayedRefusalError extends CountlyReplyError {
  override readonly name: string = 'RelayedRefusalError';
  override readonly code = 'TALLY_HTTP_RELAYED_REFUSAL';
  override readonly statusCode: number;
  /** The other process's own code (`TALLY_REBUILD_BUSY`, ...), for logs. */
  readonly remoteCode: string | undefined;
  constructor(statusCode = 500, result: ReplyResult = 'Refused', options?: ReplyOptions & { readonly remoteCode?: string }) {
    // The base needs a registered code; both it and the status are replaced just below.
    super('TALLY_HTTP_INVALID_PARAMETER', result, options);
    this.statusCode = statusCode;
    this.remoteCode = options?.remoteCode;
  }
}

/** Every error class of this folder, for the registry test (CountlyReplyError: one per REFUSALS code). */
export const httpErrors = [CountlyReplyError, RelayedRefusalError] as const;
