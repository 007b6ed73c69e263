/**
 * `${NAME}` references in configured strings (MCP headers and environment values), filled from an
 * environment at the moment they are used, so secrets stay in the environment, never in
 * agents.yaml, and never in what lightning prints: callers report the variable's name only.
 */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names referenced by `text`, in order, each once. */
export function referencedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((match) => match[1]!))];
}

/** A `${` that does not open a well-formed reference, e.g. `${TOKEN` or `${1X}`; null when all are fine. */
export function badReference(text: string): string | null {
  const rest = text.replace(REFERENCE, '');
  const at = rest.indexOf('${');
  return at === -1 ? null : rest.slice(at, at + 20);
}

/** `text` with every reference filled, or the first variable that is unset (empty counts as set). */
export function fillVariables(text: string, env: NodeJS.ProcessEnv): { value: string } | { missing: string } {
  const missing = referencedVariables(text).find((name) => env[name] === undefined);
  if (missing !== undefined) return { missing };
  return { value: text.replace(REFERENCE, (_whole, name: string) => env[name] ?? '') };
}
