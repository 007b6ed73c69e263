import { randomBytes } from 'node:crypto';

/** A login link works once, and only for a minute: it may end up in a terminal's scrollback. */
const LOGIN_CODE_TTL_MS = 60_000;
export const SESSION_COOKIE = 'lightning_session';

/**
 * Dashboard logins. `lightning dashboard` (holding the API token) asks for a one-time code; the
 * browser trades it at /login for an HttpOnly cookie, so the token itself never sits in a URL,
 * the browser's history or a log.
 */
export class DashboardSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Set<string>();

  newLoginCode(now = Date.now()): string {
    for (const [code, expires] of this.codes) if (expires < now) this.codes.delete(code);
    const code = randomBytes(24).toString('hex');
    this.codes.set(code, now + LOGIN_CODE_TTL_MS);
    return code;
  }

  /** Trades a login code (once) for a session id, or null. */
  redeem(code: string, now = Date.now()): string | null {
    const expires = this.codes.get(code);
    this.codes.delete(code);
    if (expires === undefined || expires < now) return null;
    const session = randomBytes(32).toString('hex');
    this.sessions.add(session);
    return session;
  }

  valid(cookieHeader: string | undefined): boolean {
    if (!cookieHeader) return false;
    for (const part of cookieHeader.split(';')) {
      const [name, value] = part.trim().split('=', 2);
      if (name === SESSION_COOKIE && value && this.sessions.has(value)) return true;
    }
    return false;
  }
}
