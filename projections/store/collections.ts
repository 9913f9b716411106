// Collection names of the management side, defined once.
export const APPS = 'apps';
export const MEMBERS = 'members';
/** Brute-force counters, keyed by `["<path>","<user>"]` as in Countly (spec §9.1). */
export const FAILED_LOGINS = 'failed_logins';
export const AUTH_TOKENS = 'auth_tokens';
/** Dashboard sign-in sessions, keyed by the SHA-256 of the cookie's secret. */
export const SESSIONS = 'sessions';
/** One-time links (invitation, password reset, sign-in after a block), keyed by the SHA-256 of the link's secret. */
export const SIGNIN_LINKS = 'signin_links';
/** Mail delivery counters (one document per process-independent total). */
export const MAIL_STATS = 'mail_stats';
/** Last send of each rate-limited notice kind (error notifications). */
export const NOTICE_SLOTS = 'notice_slots';
/** Event groups (`[CLY]_group_<md5>` ids), one small document each. */
export const EVENT_GROUPS = 'event_groups';
/** Per app: the event list's order, display names and visibility, and the overview (`/i/events/edit_map`); `_id` is the app id. */
export const EVENT_SETTINGS = 'event_settings';
