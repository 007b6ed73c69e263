/** The command line as the completion scripts see it, and what they share. */

/** What can follow an option or stand as a command's first argument. */
export type ValueKind = { kind: 'agents' } | { kind: 'words'; words: string[] } | { kind: 'files' } | { kind: 'dirs' } | { kind: 'free' };

export interface OptionSpec {
  flags: string[];
  description: string;
  /** null: a switch that takes no value. */
  value: ValueKind | null;
}

export interface CommandSpec {
  name: string;
  aliases: string[];
  description: string;
  options: OptionSpec[];
  subcommands: CommandSpec[];
  /** Completion of the first positional argument. */
  argument: ValueKind | null;
}

export interface CompletionModel {
  program: string;
  globalOptions: OptionSpec[];
  commands: CommandSpec[];
}

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

/** The names under `agents:` (block style): keys at the indent of the first one. POSIX awk. */
export const AGENTS_AWK = `awk '
/^agents:[[:space:]]*(#.*)?$/ { inside = 1; next }
inside && /^[^[:space:]#]/ { inside = 0 }
inside && /^[[:space:]]+[A-Za-z][A-Za-z0-9_-]*:/ {
  match($0, /^[[:space:]]+/); if (!indent) indent = RLENGTH
  if (RLENGTH == indent) { name = $0; sub(/^[[:space:]]+/, "", name); sub(/:.*/, "", name); print name }
}'`;

