import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';

export const READ_LIMIT_BYTES = 256 * 1024;
export const WRITE_LIMIT_BYTES = 1024 * 1024;
const LIST_LIMIT = 500;
/** Output a tool hands the model (run_shell, MCP tools); the rest is cut with a note. */
export const TOOL_OUTPUT_LIMIT_BYTES = 64 * 1024;
/** How long one tool call (run_shell, an MCP tool) may run. */
export const TOOL_TIME_LIMIT_MS = 60_000;
const SHELL_OUTPUT_LIMIT = TOOL_OUTPUT_LIMIT_BYTES;
const SHELL_TIMEOUT_MS = TOOL_TIME_LIMIT_MS;
/**
 * Paths come from the model, i.e. untrusted: a segment longer than most filesystems allow (255
 * bytes), or a path longer than any real project's (512 bytes, as UTF-8, as written), is refused
 * before it reaches the filesystem, so a sentence with slashes in it cannot become a tree of junk
 * directories.
 */
export const PATH_SEGMENT_LIMIT_BYTES = 255;
export const PATH_LIMIT_BYTES = 512;
// C0 and C1 control characters and DEL: never in a file name a person meant.
const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * Characters no portable file name holds (Windows refuses them, and so do zip tools and shares the
 * user's files go through): what a small model writes when it puts a sentence where a file name
 * goes ("…I could help? Because…", "…of people: hello.txt…"), within the length limits. A
 * backslash is refused too: on POSIX it would become part of a name, not a directory.
 */
const NOT_PORTABLE = /[<>:"|?*\\]/;

/** A refusal or failure reported to the model as the tool's result, never thrown past run(). */
export class ToolError extends Error {}

export interface ToolResult {
  ok: boolean;
  /** What the model sees as the tool message. Errors start with `error: `. */
  content: string;
  /** One short line for progress events. */
  summary: string;
}

export interface WorkspaceToolOptions {
  /** Offer run_shell (agents opt in with tools.shell). */
  shell: boolean;
  signal?: AbortSignal;
  /** Environment for run_shell, minus `hiddenEnv`. */
  env?: NodeJS.ProcessEnv;
  /** Variables never passed to run_shell, e.g. the provider's API key variable. */
  hiddenEnv?: string[];
}

const within = (root: string, target: string): boolean =>
  target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** The checks of a model-given path that need no filesystem; throws ToolError. */
export function checkPathArgument(requested: unknown): asserts requested is string {
  if (typeof requested !== 'string' || requested === '') throw new ToolError('path must be a non-empty string');
  const control = CONTROL_CHARACTER.exec(requested);
  if (control) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new ToolError(`path contains a control character (U+${code}) at character ${control.index + 1}; use a plain file name`);
  }
  const bytes = Buffer.byteLength(requested);
  if (bytes > PATH_LIMIT_BYTES) throw new ToolError(`path is ${bytes} bytes, over the ${PATH_LIMIT_BYTES}-byte limit; use a short file name`);
  const segments = requested.split(/[\\/]/);
  const long = segments.find((segment) => Buffer.byteLength(segment) > PATH_SEGMENT_LIMIT_BYTES);
  if (long !== undefined) {
    throw new ToolError(`a path segment is ${Buffer.byteLength(long)} bytes ("${long.slice(0, 40)}…"), over the ${PATH_SEGMENT_LIMIT_BYTES}-byte limit of a file or directory name; use a short name`);
  }
  const odd = NOT_PORTABLE.exec(requested);
  if (odd) {
    throw new ToolError(`path contains ${JSON.stringify(odd[0])} at character ${odd.index + 1}, which no portable file name has${odd[0] === '\\' ? ' (separate directories with /)' : ''}; use a plain file name`);
  }
  // A sentence break inside a name: every prose "file name" llama.cpp's tiny model wrote within the
  // limits had one ("hello worldwork/project world.0.0.0. Official docs/guide.md. Official…").
  const prose = segments.find((segment) => /\.\s/.test(segment));
  if (prose !== undefined) {
    throw new ToolError(`a path segment reads as a sentence, not a name (". " in "${prose.slice(0, 40)}${prose.length > 40 ? '…' : ''}"); use a plain file name`);
  }
  // Windows drops a trailing space or dot, and a name that starts with a space is a slip: both say the "name" is prose.
  const ragged = segments.find((segment) => segment !== '.' && segment !== '..' && /^\s|[\s.]$/.test(segment));
  if (ragged !== undefined) {
    throw new ToolError(`a path segment starts with a space or ends with a space or a dot ("${ragged.slice(0, 40)}${ragged.length > 40 ? '…' : ''}"); use a plain file name`);
  }
}

/**
 * Resolves `requested` inside `workspace` or throws ToolError. Checks the lexical path first
 * (`..`, absolute paths), then the real path of the nearest existing ancestor, so a symlink in the
 * workspace that points outside cannot be read through or written through. lstat is used to find
 * that ancestor because a dangling symlink "doesn't exist" for stat yet would be followed by a write.
 */
export async function confinePath(workspace: string, requested: unknown): Promise<{ abs: string; rel: string }> {
  checkPathArgument(requested);
  const root = await fs.realpath(workspace);
  const abs = path.resolve(root, requested);
  if (!within(root, abs)) throw new ToolError(`path escapes the workspace: ${requested}`);
  let probe = abs;
  for (;;) {
    try {
      await fs.lstat(probe);
      break;
    } catch {
      probe = path.dirname(probe);
    }
  }
  let real: string;
  try {
    real = await fs.realpath(probe);
  } catch {
    throw new ToolError(`path escapes the workspace: ${requested} (dangling symlink)`);
  }
  if (!within(root, real)) throw new ToolError(`path escapes the workspace: ${requested}`);
  return { abs, rel: path.relative(root, abs) || '.' };
}

const fn = (name: string, description: string, properties: Record<string, unknown>, required: string[]): ChatCompletionFunctionTool => ({
  type: 'function',
  function: { name, description, parameters: { type: 'object', properties, required, additionalProperties: false } },
});

/** The file tools of one task, confined to its workspace. */
export class WorkspaceTools {
  /** Workspace-relative paths written so far, in first-write order. */
  readonly written = new Set<string>();
  private created: Promise<unknown> | null = null;

  constructor(
    readonly workspace: string,
    private readonly options: WorkspaceToolOptions,
  ) {}

  /** The workspace directory is made on first tool use: most tasks never touch a file. */
  private ensureWorkspace(): Promise<unknown> {
    this.created ??= fs.mkdir(this.workspace, { recursive: true });
    return this.created;
  }

  get names(): string[] {
    return this.definitions().map((tool) => tool.function.name);
  }

  definitions(): ChatCompletionFunctionTool[] {
    const pathProp = { type: 'string', description: 'Path relative to the workspace' };
    const tools = [
      fn('list_files', 'List files and directories in the workspace (recursive).', { path: { ...pathProp, description: "Directory relative to the workspace, default '.'" } }, []),
      fn('read_file', `Read a UTF-8 text file from the workspace (at most ${READ_LIMIT_BYTES / 1024} KiB).`, { path: pathProp }, ['path']),
      fn('write_file', `Create or overwrite a file in the workspace (at most ${WRITE_LIMIT_BYTES / 1024} KiB); parent directories are created.`, { path: pathProp, content: { type: 'string', description: 'The full file content' } }, ['path', 'content']),
    ];
    if (this.options.shell) {
      tools.push(fn('run_shell', `Run a shell command (sh -c) with the workspace as working directory; ${SHELL_TIMEOUT_MS / 1000} s limit. Returns exit code and output.`, { command: { type: 'string' } }, ['command']));
    }
    return tools;
  }

  /** Runs one tool call. Never throws: every problem becomes an `error: …` result for the model. */
  async run(name: string, rawArgs: string): Promise<ToolResult> {
    const parsed = parseToolArguments(name, rawArgs);
    if ('error' in parsed) return failure(parsed.error);
    const args = parsed.args;
    try {
      await this.ensureWorkspace();
      switch (name) {
        case 'list_files':
          return await this.listFiles(args.path ?? '.');
        case 'read_file':
          return await this.readFile(args.path);
        case 'write_file':
          return await this.writeFile(args.path, args.content);
        case 'run_shell':
          if (this.options.shell) return await this.runShell(args.command);
          break;
      }
      return failure(`unknown tool ${name}; available: ${this.names.join(', ')}`);
    } catch (error) {
      if (error instanceof ToolError) return failure(error.message);
      const err = error as NodeJS.ErrnoException;
      // Show workspace-relative paths, not the worker's directory layout.
      return failure((err.code ? `${err.code}: ` : '') + err.message.split(this.workspace + path.sep).join(''));
    }
  }

  private async listFiles(requested: unknown): Promise<ToolResult> {
    const { abs, rel } = await confinePath(this.workspace, requested);
    const lines: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (lines.length >= LIST_LIMIT) return;
        const shown = prefix + entry.name;
        // Symlinks are listed, not followed: the target may be outside the workspace.
        if (entry.isSymbolicLink()) lines.push(`${shown} (symlink)`);
        else if (entry.isDirectory()) {
          lines.push(shown + '/');
          await walk(path.join(dir, entry.name), shown + '/');
        } else lines.push(shown);
      }
    };
    const stat = await fs.stat(abs);
    if (!stat.isDirectory()) throw new ToolError(`not a directory: ${rel}`);
    await walk(abs, rel === '.' ? '' : rel + '/');
    const more = lines.length >= LIST_LIMIT ? `\n… (listing stopped at ${LIST_LIMIT} entries)` : '';
    return { ok: true, content: lines.length ? lines.join('\n') + more : '(empty)', summary: `${lines.length} entries in ${rel}` };
  }

  private async readFile(requested: unknown): Promise<ToolResult> {
    const { abs, rel } = await confinePath(this.workspace, requested);
    const stat = await fs.stat(abs);
    if (stat.isDirectory()) throw new ToolError(`${rel} is a directory; use list_files`);
    if (stat.size > READ_LIMIT_BYTES) throw new ToolError(`${rel} is ${stat.size} bytes, over the ${READ_LIMIT_BYTES / 1024} KiB read limit`);
    const text = await fs.readFile(abs, 'utf8');
    return { ok: true, content: text, summary: `read ${stat.size} bytes from ${rel}` };
  }

  private async writeFile(requested: unknown, content: unknown): Promise<ToolResult> {
    if (typeof content !== 'string') throw new ToolError('content must be a string');
    const bytes = Buffer.byteLength(content);
    if (bytes > WRITE_LIMIT_BYTES) throw new ToolError(`content is ${bytes} bytes, over the ${WRITE_LIMIT_BYTES / 1024} KiB write limit`);
    const { abs, rel } = await confinePath(this.workspace, requested);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, content);
    this.written.add(rel);
    return { ok: true, content: `wrote ${bytes} bytes to ${rel}`, summary: `wrote ${bytes} bytes to ${rel}` };
  }

  /** Not confined like the file tools: only agents that opt in (tools.shell) get it. */
  private runShell(command: unknown): Promise<ToolResult> {
    if (typeof command !== 'string' || !command.trim()) throw new ToolError('command must be a non-empty string');
    const env = { ...(this.options.env ?? process.env) };
    for (const name of this.options.hiddenEnv ?? []) delete env[name];
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { cwd: this.workspace, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let truncated = false;
      const collect = (chunk: Buffer): void => {
        if (output.length < SHELL_OUTPUT_LIMIT) output += chunk.toString('utf8');
        else truncated = true;
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let killedBy: string | null = null;
      // detached → own process group, so the whole pipeline dies, not just sh.
      const kill = (why: string): void => {
        killedBy ??= why;
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => kill(`timed out after ${SHELL_TIMEOUT_MS / 1000} s`), SHELL_TIMEOUT_MS);
      const onAbort = (): void => kill('cancelled');
      this.options.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (text: string, ok: boolean): void => {
        clearTimeout(timer);
        this.options.signal?.removeEventListener('abort', onAbort);
        resolve({ ok, content: ok ? text : `error: ${text}`, summary: text.split('\n', 1)[0]!.slice(0, 200) });
      };
      child.on('error', (error) => finish(`cannot run the shell: ${error.message}`, false));
      child.on('close', (code, signal) => {
        const body = output.slice(0, SHELL_OUTPUT_LIMIT) + (truncated ? '\n… (output truncated)' : '');
        if (killedBy) return finish(`command ${killedBy}\n${body}`, false);
        finish(`exit ${code ?? signal}\n${body}`, code === 0);
      });
    });
  }
}

/** A tool call's arguments as the model sent them: a JSON object, or an error for the model. */
export function parseToolArguments(name: string, rawArgs: string): { args: Record<string, unknown> } | { error: string } {
  try {
    const parsed: unknown = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('arguments must be a JSON object');
    return { args: parsed as Record<string, unknown> };
  } catch (error) {
    return { error: `invalid JSON arguments for ${name}: ${(error as Error).message}` };
  }
}

/** What the model sees when a tool call is refused or fails. */
export function failure(message: string): ToolResult {
  return { ok: false, content: `error: ${message}`, summary: message.slice(0, 200) };
}
