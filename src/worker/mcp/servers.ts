/**
 * An agent's MCP servers in one worker (tools.mcp), shared by its tasks: each task asks for the
 * tool set, which starts the servers not yet running; calls go to the server that owns the tool,
 * with the built-in tools' time and size limits; close() ends them all with the worker.
 */
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { MCP_START_TIMEOUT_MS } from '../../config/defaults.js';
import type { McpServerSettings } from '../../config/types.js';
import { TOOL_TIME_LIMIT_MS, WRITE_LIMIT_BYTES, failure, parseToolArguments } from '../model/tools.js';
import type { ToolResult } from '../model/tools.js';
import { McpServerConnection, McpUnavailableError } from './connection.js';
import { namespacedToolName } from './tool-names.js';
import { toToolResult } from './tool-result.js';

export interface McpServersOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

/** Tool descriptions are the server's words; a few hundred characters tell the model enough. */
const DESCRIPTION_MAX = 1024;

interface Entry {
  server: McpServerConnection;
  tool: string;
  needsApproval: boolean;
}

/** The MCP tools one task may call, as listed when it started. */
export class McpToolSet {
  constructor(
    private readonly entries: ReadonlyMap<string, Entry>,
    readonly definitions: ChatCompletionFunctionTool[],
    /** Servers that did not start for this task, with why. */
    readonly unavailable: ReadonlyArray<{ server: string; error: string }>,
  ) {}

  get names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The call waits for a person first (tools.mcp.<server>.approval); the tool loop asks. */
  needsApproval(name: string): boolean {
    return this.entries.get(name)?.needsApproval ?? false;
  }

  /** Runs one call (approved already, if it needs it). Never throws: a refusal or failure is an `error: …` result for the model. */
  async run(name: string, rawArgs: string, signal: AbortSignal): Promise<ToolResult> {
    const entry = this.entries.get(name);
    if (!entry) return failure(`unknown tool ${name}`);
    const { server, tool } = entry;
    const bytes = Buffer.byteLength(rawArgs);
    if (bytes > WRITE_LIMIT_BYTES) return failure(`arguments of ${name} are ${bytes} bytes, over the ${WRITE_LIMIT_BYTES / 1024} KiB limit`);
    const parsed = parseToolArguments(name, rawArgs);
    if ('error' in parsed) return failure(parsed.error);
    try {
      return toToolResult(name, await server.call(tool, parsed.args, { signal, timeoutMs: TOOL_TIME_LIMIT_MS }));
    } catch (error) {
      if (signal.aborted) return failure('cancelled');
      const err = error as Error & { code?: unknown };
      if (err.code === -32001) return failure(`${name} did not finish within ${TOOL_TIME_LIMIT_MS / 1000} s (MCP server ${server.name})`);
      if (error instanceof McpUnavailableError) return failure(`MCP server ${server.name} is not available: ${err.message}`);
      const restarted = server.pid === null && server.settings.transport === 'stdio' ? '; the server is started again on the next call' : '';
      return failure(`MCP server ${server.name} failed on ${tool}: ${err.message}${restarted}`);
    }
  }
}

export class McpServers {
  private readonly connections: McpServerConnection[];

  constructor(servers: Readonly<Record<string, McpServerSettings>>, options: McpServersOptions) {
    const log = options.log ?? ((line: string) => console.error(line));
    this.connections = Object.entries(servers).map(
      ([name, settings]) =>
        new McpServerConnection(name, settings, { env: options.env, cwd: options.cwd, log, startTimeoutMs: options.startTimeoutMs ?? MCP_START_TIMEOUT_MS }),
    );
  }

  get size(): number {
    return this.connections.length;
  }

  /** The connection of each server (for doctor and tests: pids, start counts). */
  get servers(): readonly McpServerConnection[] {
    return this.connections;
  }

  /**
   * Starts every server not running (concurrently) and lists their tools. A server that does not
   * start leaves its tools out of this task and is tried again by the next one.
   */
  async toolSet(): Promise<McpToolSet> {
    const listed = await Promise.all(
      this.connections.map(async (server) => {
        try {
          return { server, tools: await server.tools() };
        } catch (error) {
          return { server, error: (error as Error).message };
        }
      }),
    );
    const entries = new Map<string, Entry>();
    const definitions: ChatCompletionFunctionTool[] = [];
    const unavailable: Array<{ server: string; error: string }> = [];
    for (const item of listed) {
      if ('error' in item) {
        unavailable.push({ server: item.server.name, error: item.error ?? 'unknown error' });
        continue;
      }
      const approval = item.server.settings.approval;
      for (const tool of item.tools) {
        const name = namespacedToolName(item.server.name, tool.name, new Set(entries.keys()));
        const needsApproval = approval === true || (Array.isArray(approval) && approval.includes(tool.name));
        entries.set(name, { server: item.server, tool: tool.name, needsApproval });
        const { $schema: _schema, ...schema } = tool.inputSchema;
        definitions.push({
          type: 'function',
          function: {
            name,
            description: `${tool.description.slice(0, DESCRIPTION_MAX)}${needsApproval ? ' (a person approves each call first; it may be denied)' : ''}`.trim(),
            parameters: { ...schema, type: 'object' },
          },
        });
      }
    }
    return new McpToolSet(entries, definitions, unavailable);
  }

  /** Ends every server; a stdio server that ignores end of input is killed after a second. */
  async close(): Promise<void> {
    await Promise.all(this.connections.map((server) => server.close()));
  }
}
