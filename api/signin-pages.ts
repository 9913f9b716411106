// The sign-in pages: plain HTML forms, every value escaped. Messages come from `?message=` but
// only as keys of MESSAGES; the request's text is never shown.
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../mail/index.ts';

const MESSAGES: Readonly<Record<string, string>> = {
  'login.result': 'Wrong username or password.',
  'login.blocked': 'Too many failed attempts. Try again later.',
  'login.token-invalid': 'This sign-in link is invalid, used or expired.',
  'forgot.result': 'If the address belongs to an account, a mail with a reset link is on its way.',
  'reset.invalid': 'This link is invalid, used or expired. Ask for a new one.',
  'reset.result': 'Your password is set. Sign in with it.',
  'logout.result': 'You are signed out.',
};

export const messageText = (key: unknown): string | undefined => (typeof key === 'string' && Object.hasOwn(MESSAGES, key) ? MESSAGES[key] : undefined);

function page(title: string, body: string, notes: readonly string[]): string {
  const shown = notes.map((n) => `<p class="message">${escapeHtml(n)}</p>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)} · Tally</title></head><body><h1>${escapeHtml(title)}</h1>${shown}${body}</body></html>`;
}

const hidden = (name: string, value: string): string => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').header('x-frame-options', 'DENY').type('text/html; charset=utf-8').send(html);
}

export const loginPage = (csrf: string, notes: readonly string[]): string =>
  page(
    'Sign in',
    `<form method="post" action="/login">${hidden('_csrf', csrf)}<label>Username or email <input name="username" autocomplete="username"></label><label>Password <input type="password" name="password" autocomplete="current-password"></label><button type="submit">Sign in</button></form><p><a href="/forgot">Forgot your password?</a></p>`,
    notes,
  );

export const forgotPage = (csrf: string, notes: readonly string[]): string =>
  page(
    'Reset your password',
    `<form method="post" action="/forgot">${hidden('_csrf', csrf)}<label>Email <input type="email" name="email" autocomplete="email"></label><button type="submit">Send a reset link</button></form>`,
    notes,
  );

export const resetPage = (prid: string, csrf: string, notes: readonly string[]): string =>
  page(
    'Choose a password',
    `<form method="post" action="/reset/${encodeURIComponent(prid)}">${hidden('_csrf', csrf)}<label>New password <input type="password" name="password" autocomplete="new-password"></label><label>Again <input type="password" name="again" autocomplete="new-password"></label><button type="submit">Set password</button></form>`,
    notes,
  );

export const dashboardPage = (fullName: string, csrf: string): string =>
  page(
    'Tally',
    `<p>Signed in as <strong>${escapeHtml(fullName)}</strong>.</p><form method="post" action="/logout">${hidden('_csrf', csrf)}<button type="submit">Sign out</button></form>`,
    [],
  );

export const tokenPage = (token: string, csrf: string): string =>
  page(
    'Sign in with your link',
    `<p>This link signs you in once and lifts the block on your account.</p><form method="post" action="/login/token/${encodeURIComponent(token)}">${hidden('_csrf', csrf)}<button type="submit">Sign in</button></form>`,
    [],
  );
