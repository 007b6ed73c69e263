/**
 * One MCP server of one worker, through @modelcontextprotocol/sdk's client: started (or, for
 * HTTP, connected) on first use, started again on the next use after it died, closed with the
 * worker. Header and environment values are filled from `${NAME}`s here and never logged.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerSettings } from '../../config/types.js';
import { fillVariables } from '../../util/env-template.js';
import { networkReason } from '../../util/network-reason.js';
import { VERSION } from '../../util/version.js';

/** A tool as the server lists it. */
export interface McpTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface McpConnectionOptions {
  /** Where `${NAME}`s in headers and env come from: the worker's environment. */
  env: NodeJS.ProcessEnv;
  /** Working directory of a stdio server: the agent's. */
  cwd: string;
  /** How long starting (spawn or connect, initialize, tools/list) may take. */
  startTimeoutMs: number;
  /** The worker's log: server stderr lines and start failures, prefixed with the server's name. */
  log: (line: string) => void;
}

/** A server that could not be started or reached; the message says why, without secrets. */
export class McpUnavailableError extends Error {}

type Sdk = {
  Client: typeof Client;
  StdioClientTransport: typeof StdioClientTransport;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  McpError: typeof import('@modelcontextprotocol/sdk/types.js').McpError;
  ToolListChangedNotificationSchema: typeof import('@modelcontextprotocol/sdk/types.js').ToolListChangedNotificationSchema;
};
let sdkPromise: Promise<Sdk> | null = null;

/** Loaded when a server is first needed: workers without MCP servers never pay for it. */
function loadSdk(): Promise<Sdk> {
  // One module after the other: they share dependencies, and jest's ESM loader (the tests) fails
  // on concurrent first imports of one module; in node the order costs nothing.
  sdkPromise ??= (async (): Promise<Sdk> => {
    const client = await import('@modelcontextprotocol/sdk/client/index.js');
    const stdio = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const http = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const types = await import('@modelcontextprotocol/sdk/types.js');
    return {
      Client: client.Client,
      StdioClientTransport: stdio.StdioClientTransport,
      StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
      McpError: types.McpError,
      ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
    };
  })();
  sdkPromise.catch(() => (sdkPromise = null));
  return sdkPromise;
}

// JSON-RPC codes the SDK uses for a connection that is gone (as opposed to a tool's own error).
const CONNECTION_CLOSED = -32000;
const STDERR_TAIL_LINES = 5;

/** Every stdio server this process started and has not seen exit: killed if the worker exits first. */
const liveChildren = new Set<number>();
let exitHookInstalled = false;
function trackChild(pid: number): void {
  liveChildren.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() paths (supervisor gone, a fatal error) skip close(); no server may outlive us.
  process.once('exit', () => {
    for (const child of liveChildren) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

interface Live {
  client: Client;
  transport: StdioClientTransport | StreamableHTTPClientTransport;
  tools: McpTool[] | null;
  pid: number | null;
}

export class McpServerConnection {
  private live: Promise<Live> | null = null;
  private current: Live | null = null;
  private readonly stderrTail: string[] = [];
  private closed = false;
  /** How many times the server was started (or connected): 1 after the first use. */
  starts = 0;

  constructor(
    readonly name: string,
    readonly settings: McpServerSettings,
    private readonly options: McpConnectionOptions,
  ) {}

  /** The pid of the running stdio server, if any. */
  get pid(): number | null {
    return this.current?.pid ?? null;
  }

  /** `stdio: npx -y …` or `http: https://…` — what the user wrote, for messages. */
  get display(): string {
    return this.settings.transport === 'stdio' ? `stdio: ${this.settings.command.join(' ')}` : `http: ${this.settings.url}`;
  }

  /** The server's tools, starting it first if it is not running. */
  async tools(): Promise<McpTool[]> {
    const live = await this.ensure();
    live.tools ??= await this.listTools(live);
    return live.tools;
  }

  /** Calls one tool. A failure of the connection (not of the tool) means a fresh start next time. */
  async call(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number }): Promise<CallToolResult> {
    const live = await this.ensure();
    const sdk = await loadSdk();
    try {
      return (await live.client.callTool({ name: tool, arguments: args }, undefined, {
        signal: options.signal,
        timeout: options.timeoutMs,
        maxTotalTimeout: options.timeoutMs,
      })) as CallToolResult;
    } catch (error) {
      if (!(error instanceof sdk.McpError) || error.code === CONNECTION_CLOSED) void this.drop(live);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const live = await this.live?.catch(() => null);
    if (live) await this.drop(live);
  }

  private ensure(): Promise<Live> {
    if (this.closed) return Promise.reject(new McpUnavailableError(`MCP server ${this.name} is closed: the worker is stopping`));
    if (!this.live) {
      const starting = this.start();
      this.live = starting;
      starting.catch(() => {
        if (this.live === starting) this.live = null; // the next use tries again
      });
    }
    return this.live;
  }

  private async start(): Promise<Live> {
    let sdk: Sdk;
    try {
      sdk = await loadSdk();
    } catch (error) {
      const why = `cannot load the MCP client library: ${(error as Error).message}`;
      this.options.log(`mcp ${this.name}: does not start: ${why}`);
      throw new McpUnavailableError(why);
    }
    this.starts++;
    this.stderrTail.length = 0;
    const client = new sdk.Client({ name: 'lightning', version: VERSION }, { capabilities: {} });
    const timeout = this.options.startTimeoutMs;
    let live: Live | null = null;
    try {
      const transport = this.transport(sdk);
      const started: Live = { client, transport, tools: null, pid: null };
      live = started;
      client.onclose = () => {
        if (started.pid !== null) liveChildren.delete(started.pid);
        if (this.current !== started) return;
        this.current = null;
        this.live = null;
        if (!this.closed) this.options.log(`mcp ${this.name}: connection closed${this.lastWords()}; started again on next use`);
      };
      client.setNotificationHandler(sdk.ToolListChangedNotificationSchema, () => {
        started.tools = null;
      });
      await client.connect(transport, { timeout });
      if ('pid' in transport && transport.pid !== null) {
        started.pid = transport.pid;
        trackChild(transport.pid);
      }
      this.current = started;
      started.tools = await this.listTools(started);
    } catch (error) {
      this.current = null;
      if (live) {
        // A server that started but never answered is still running: drop() must know its pid.
        if (live.pid === null && 'pid' in live.transport) live.pid = live.transport.pid;
        await this.drop(live);
      }
      const why = this.describeStartError(error, timeout);
      this.options.log(`mcp ${this.name}: does not start: ${why}`);
      throw new McpUnavailableError(why);
    }
    if (this.closed) {
      await this.drop(live);
      throw new McpUnavailableError(`MCP server ${this.name} is closed: the worker is stopping`);
    }
    return live;
  }

  private transport(sdk: Sdk): StdioClientTransport | StreamableHTTPClientTransport {
    const settings = this.settings;
    if (settings.transport === 'stdio') {
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(settings.env)) env[key] = this.fill(value, `env.${key}`);
      const [command, ...args] = settings.command;
      const transport = new sdk.StdioClientTransport({ command: command!, args, env, cwd: this.options.cwd, stderr: 'pipe' });
      let partial = '';
      transport.stderr?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.stderrLine(line);
      });
      return transport;
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(settings.headers)) headers[key] = this.fill(value, `headers.${key}`);
    return new sdk.StreamableHTTPClientTransport(new URL(settings.url), { requestInit: { headers } });
  }

  private fill(value: string, where: string): string {
    const filled = fillVariables(value, this.options.env);
    if ('missing' in filled) {
      throw new McpUnavailableError(`${where} of MCP server ${this.name} uses \${${filled.missing}}, which is not set in the worker's environment`);
    }
    return filled.value;
  }

  private stderrLine(line: string): void {
    const trimmed = line.trimEnd();
    if (!trimmed) return;
    this.stderrTail.push(trimmed.slice(0, 300));
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    this.options.log(`mcp ${this.name}: ${trimmed}`);
  }

  private lastWords(): string {
    const last = this.stderrTail[this.stderrTail.length - 1];
    return last ? ` (its last output: ${last})` : '';
  }

  private async listTools(live: Live): Promise<McpTool[]> {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await live.client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.options.startTimeoutMs });
      for (const tool of page.tools) {
        tools.push({ name: tool.name, description: tool.description ?? tool.title ?? '', inputSchema: tool.inputSchema as Record<string, unknown> });
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  private describeStartError(error: unknown, timeoutMs: number): string {
    if (error instanceof McpUnavailableError) return error.message;
    const err = error as Error & { code?: unknown };
    if (this.settings.transport === 'stdio') {
      const program = this.settings.command[0];
      if (err.code === 'ENOENT') return `cannot start ${JSON.stringify(program)}: not found (is it installed and on PATH?)`;
      if (err.code === 'EACCES') return `cannot start ${JSON.stringify(program)}: not executable`;
    }
    if (err.code === -32001) return `no answer within ${timeoutMs / 1000} s${this.lastWords()}`;
    if (err.code === CONNECTION_CLOSED) return `${this.settings.transport === 'stdio' ? 'the server exited' : 'the connection closed'} during start-up${this.lastWords()}`;
    if (this.settings.transport === 'http') return `${this.settings.url}: ${networkReason(error)}`;
    return err.message ?? String(error);
  }

  private async drop(live: Live): Promise<void> {
    if (this.current === live) {
      this.current = null;
      this.live = null;
    }
    if (live.transport instanceof Object && 'terminateSession' in live.transport) {
      // Tell an HTTP server the session is over; bounded, it may be the thing that is broken.
      await Promise.race([live.transport.terminateSession().catch(() => undefined), delay(1000)]);
    }
    await closeQuietly(live.client);
    if (live.pid !== null) {
      // The SDK waits up to 4 s for a server that ignores end of input; the worker's stop grace is
      // shorter, so a server still there after a second is killed.
      const pid = live.pid;
      const gone = await Promise.race([waitGone(pid).then(() => true), delay(1000).then(() => false)]);
      if (!gone) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
      liveChildren.delete(pid);
    }
  }
}

async function closeQuietly(client: Client): Promise<void> {
  await Promise.race([client.close().catch(() => undefined), delay(1500)]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function waitGone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(50);
  }
}
