// Collection names of the management side, defined once.
export const APPS = 'apps';
export const MEMBERS = 'members';
/** Brute-force counters, keyed by `["<path>","<user>"]` as in Countly (spec §9.1). */
export const FAILED_LOGINS = 'failed_logins';
export const AUTH_TOKENS = 'auth_tokens';
