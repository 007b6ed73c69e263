import { createHash } from 'node:crypto';

/** OpenAI's limits on a function name: ^[a-zA-Z0-9_-]{1,64}$. */
export const TOOL_NAME_MAX = 64;
const NOT_ALLOWED = /[^A-Za-z0-9_-]/g;

/**
 * `<server>__<tool>`, as the model sees an MCP tool: characters OpenAI does not allow become `_`,
 * and a name that would be too long, or that `taken` already holds (two tools differing only in
 * such characters), ends in a short hash of the original instead. Server names are validated in
 * the config (at most 30 characters), so the prefix always fits.
 */
export function namespacedToolName(server: string, tool: string, taken: ReadonlySet<string>): string {
  const plain = `${server}__${tool.replace(NOT_ALLOWED, '_')}`;
  if (plain.length <= TOOL_NAME_MAX && !taken.has(plain)) return plain;
  const hash = createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);
  return `${plain.slice(0, TOOL_NAME_MAX - hash.length - 1)}_${hash}`;
}
