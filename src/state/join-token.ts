import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { StatePaths } from './home.js';
import { newToken } from './token.js';

/** Environment variable that sets the join token (supervisor side) or presents it (agent side). */
export const JOIN_TOKEN_ENV = 'LIGHTNING_JOIN_TOKEN';

/** Shorter tokens are guessable; the generated ones are 64 hex characters. */
const MIN_LENGTH = 16;

/** Environment variable holding a stable token A2A clients may use on the supervisor's A2A endpoint. */
export const A2A_TOKEN_ENV = 'LIGHTNING_A2A_TOKEN';

export class JoinTokenError extends Error {}

/** `$LIGHTNING_A2A_TOKEN`, or null when unset; a short one is refused like a short join token. */
export function loadA2AToken(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[A2A_TOKEN_ENV];
  if (value === undefined || value === '') return null;
  if (value.length < MIN_LENGTH) throw new JoinTokenError(`${A2A_TOKEN_ENV} is ${value.length} characters; use at least ${MIN_LENGTH} (e.g. \`openssl rand -hex 32\`)`);
  return value;
}

/**
 * The token an agent must present to join this supervisor. `$LIGHTNING_JOIN_TOKEN` when set;
 * otherwise `.lightning/join-token`, created once (mode 0600) and kept across restarts, so agents
 * on other machines keep their token when the supervisor restarts.
 */
export function loadJoinToken(paths: StatePaths, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[JOIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_LENGTH) {
      throw new JoinTokenError(`${JOIN_TOKEN_ENV} is ${fromEnv.length} characters; use at least ${MIN_LENGTH} (e.g. \`openssl rand -hex 32\`)`);
    }
    return fromEnv;
  }
  try {
    const stored = readFileSync(paths.joinTokenFile, 'utf8').trim();
    if (stored.length >= MIN_LENGTH) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(paths.home, { recursive: true });
  const token = newToken();
  writeFileSync(paths.joinTokenFile, `${token}\n`, { mode: 0o600 });
  return token;
}
