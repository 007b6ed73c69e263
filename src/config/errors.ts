/** The one error type the config module throws: always names a file and, when it can, line:col. */
import path from 'node:path';

export interface ConfigErrorInit {
  /** Absolute path of the file the problem is in (or the path that was tried). */
  file: string;
  line?: number | null;
  col?: number | null;
  problem: string;
  hint?: string | null;
}

/**
 * What the user sees, in the `file:line:col: problem` shape editors and terminals turn into
 * links, plus a `fix:` line saying what to do about it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Usage or config error, per the CLI's exit-code table. */
  readonly exitCode = 2;
  readonly file: string;
  /** 1-based; null when the problem has no single place in the file (e.g. not found, empty). */
  readonly line: number | null;
  /** 1-based; null whenever line is. */
  readonly col: number | null;
  readonly problem: string;
  readonly hint: string | null;

  constructor(init: ConfigErrorInit) {
    const line = init.line ?? null;
    const col = line === null ? null : (init.col ?? null);
    const hint = init.hint ?? null;
    super(formatConfigError(init.file, line, col, init.problem, hint));
    this.file = init.file;
    this.line = line;
    this.col = col;
    this.problem = init.problem;
    this.hint = hint;
  }
}

/** `file:line:col: problem` + `\n  fix: hint`; parts that are unknown are left out. */
export function formatConfigError(
  file: string,
  line: number | null,
  col: number | null,
  problem: string,
  hint: string | null,
): string {
  let where = displayPath(file);
  if (line !== null) where += `:${line}`;
  if (line !== null && col !== null) where += `:${col}`;
  const head = `${where}: ${problem}`;
  return hint === null ? head : `${head}\n  fix: ${hint}`;
}

/**
 * The path relative to the working directory when that is shorter (the usual case: `agents.yaml`
 * in the project), else absolute — short messages, but never ambiguous.
 */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(cwd, file);
  return rel !== '' && rel.length < file.length ? rel : file;
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}
