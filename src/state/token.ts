import { randomBytes } from 'node:crypto';

/**
 * A fresh secret: the control API's token, the workers', the join token. Its own file so that
 * the CLI, which reads supervisor.json on every command, does not load node:crypto to do so.
 */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}
