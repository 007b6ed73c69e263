/**
 * Every default lightning applies, in one place and in resolved form (milliseconds, bytes), so
 * the docs, the CLI and the loader can never disagree. agents.yaml `defaults:` override
 * these per key; an agent's own sections override those per key again.
 */
import type {
  BuiltinTool,
  HealthSettings,
  LogSettings,
  AlertSettings,
  ProviderSettings,
  RoutingSettings,
  RestartSettings,
  StopSettings,
  SupervisorSettings,
  TaskSettings,
  ToolSettings,
} from './types.js';

/** File names searched for, in this order, in the working directory and each of its parents. */
export const CONFIG_FILENAMES: readonly string[] = Object.freeze(['agents.yaml', 'agents.yml']);

/** Environment variable naming the config file when `-c` is not given. */
export const CONFIG_ENV_VAR = 'LIGHTNING_CONFIG';

export const DEFAULT_SUPERVISOR: Readonly<SupervisorSettings> = Object.freeze({
  // 9000 sits just below the seed agents' 9001–9006, so one fleet occupies one contiguous block.
  port: 9000,
  // Loopback: the control API can run tasks and spend API credit, so it is never exposed by default.
  host: '127.0.0.1',
});

// Cheap, fast and good enough for the routing-sized tasks the seed agents get; any served name works.
export const DEFAULT_MODEL = 'gpt-4o-mini';

export const DEFAULT_PROVIDER: Readonly<ProviderSettings> = Object.freeze({
  // null defers to $OPENAI_BASE_URL, then OpenAI, so local servers need no config edit.
  baseURL: null,
  // The key is read from the environment at spawn and never written to disk.
  apiKeyEnv: 'OPENAI_API_KEY',
});

/**
 * When a model provider is put aside (`provider:` or `model:` as a list), as LiteLLM's router does:
 * a route that fails (429, 5xx, a timeout, a connection error) `failures` times within `windowMs`
 * cools down for `cooldownMs` — calls go to the next route first — and is then tried again; one
 * more failure on that first try cools it down again at once. Per worker process.
 * 3 failures: one unlucky 500 does not move traffic, a failing endpoint does within a few calls.
 * 5 s: an outage costs one probing call per worker every 5 s, and a recovered primary is back
 * within 5 s. The 60 s window forgets failures spread too thin to mean an outage.
 */
export const PROVIDER_COOLDOWN = Object.freeze({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 });

/**
 * How long a model call waits for a provider to start answering (the response headers; a
 * streamed answer's tokens may then take as long as the task allows) before it goes to the next
 * provider, when one follows (`provider[].timeout` overrides it). A streaming endpoint answers as
 * soon as it accepts the request: 30 s of silence is a provider down or queueing far too long.
 * The last provider tried waits up to the worker's request timeout (10 min) instead.
 */
export const PROVIDER_FAILOVER_TIMEOUT_MS = 30_000;

export const DEFAULT_HEALTH: Readonly<HealthSettings> = Object.freeze({
  // The worker protocol's probe route.
  path: '/health',
  // 1 s notices a wedged worker quickly while costing ~0.1 ms of loopback HTTP per probe.
  intervalMs: 1_000,
  // A loopback /health answers in well under 1 ms; 500 ms only trips on a truly stuck event loop.
  timeoutMs: 500,
  // Three misses in a row (~3 s) so one GC pause or slow probe does not restart a busy worker.
  failureThreshold: 3,
  // Generous enough for a cold `npm`/`python` start on a loaded 2-core machine.
  startTimeoutMs: 30_000,
});

export const DEFAULT_RESTART: Readonly<RestartSettings> = Object.freeze({
  // Workers are meant to be always up; `on-failure`/`never` are for one-shot or debug agents.
  policy: 'always',
  // Base of the backoff after the (immediate) first restart of a crash streak. A second: a worker
  // that crash-loops at start is restarted a handful of times a minute, not ten times a second.
  initialDelayMs: 1_000,
  // Doubling: 0, 1, 2, 4, 8, 16 s — a transient start failure has half a minute to clear.
  factor: 2,
  // Caps the wait so a fixed dependency is picked up within half a minute.
  maxDelayMs: 30_000,
  // A minute of healthy uptime means the last crash streak is over; backoff starts afresh.
  resetAfterMs: 60_000,
  // One second healthy (PM2's min_uptime) tells a worker that ran from one that dies right after
  // its first probe: a worker killed from outside every few seconds is restarted at once forever,
  // while one that crashes at start or within a second of it backs off and ends `failed`.
  minUptimeMs: 1_000,
  // Six crash-loop restarts in a row (~31 s of backoff) and the worker is clearly broken: mark it
  // `failed` with its exit and last output, stop burning CPU. Deaths after minUptime never count.
  maxRestarts: 6,
});

export const DEFAULT_STOP: Readonly<StopSettings> = Object.freeze({
  // Time to finish an in-flight model call and flush logs before SIGKILL.
  graceMs: 5_000,
});

export const DEFAULT_TASK: Readonly<TaskSettings> = Object.freeze({
  // Tool-using model loops routinely take a minute; two minutes bounds a hung call.
  timeoutMs: 120_000,
  // Two retries (on another instance/agent when possible) ride out a single crashed worker.
  retries: 2,
  // A task whose agent is restarting waits this long for it before going to the next plausible
  // agent (then the fallback). As long as restart.maxDelay: a task rides out one full backoff step
  // of its agent, and still has three quarters of the default timeout left to run elsewhere.
  queueTimeoutMs: 30_000,
  // No limit unless asked for: a budget is the user's decision about their money.
  budget: Object.freeze({ tokens: null, cost: null, timeMs: null }),
  // A tool call waiting for a person is denied after 10 minutes: long enough to notice and read
  // it, short enough that a forgotten task does not hold a worker slot for hours. The wait is not
  // counted in `timeoutMs` (the task's clock stops meanwhile).
  approvalTimeoutMs: 10 * 60_000,
});

/**
 * A worker waits this much longer than the approval timeout before it denies a call by itself:
 * the supervisor's timeout decides first; this only ends a wait whose supervisor went away.
 */
export const APPROVAL_WORKER_GRACE_MS = 5_000;

/**
 * Attempts of one task lost because their worker died while the task was on it (connection reset,
 * instance restarted mid-task). They do not use up `task.retries` — the task did nothing wrong —
 * but a task that loses this many is failed, so a task that kills every worker it reaches cannot
 * loop forever. Attempts never delivered (connection refused, worker full) do not count. 8: the
 * shipped fleet with a random worker SIGKILLed every 0.5 s loses a task 5 times now and then (a
 * 10 s task there overlaps ~3 kills of its agent); 8 in a row is a task that kills its workers.
 */
export const MAX_TRANSPORT_LOSSES = 8;

/**
 * After an attempt is lost, its instance is skipped until it is back from a restart. One that
 * still looks healthy this long after (a remote agent whose connection broke once, a probe that
 * has not noticed yet) is tried again: two probe intervals at the default `health.interval`.
 */
export const LOST_INSTANCE_RECHECK_MS = 2_000;

/**
 * A task's lines that nobody waits on (submitted, routed, an attempt, waiting) are on disk within
 * this long, or earlier with the next line someone does wait on (a task's end, feedback, a 202's
 * submission): a task as quick as its model is then one durable write, not two, and at load a
 * batch holds several tasks' lines. A supervisor killed in this window may leave a task it had
 * just started unrecorded; no answer or 202 for it went out before its line was on disk (a
 * streamed task's id goes out at once, as it always has).
 */
export const LEDGER_SOON_MS = 50;

export const DEFAULT_TOOLS: Readonly<ToolSettings> = Object.freeze({
  // Running shell commands is the one dangerous tool: agents must opt in.
  shell: false,
  // …and once they have, each command waits for a person's approval unless they turn it off
  // (`tools.approval: []`).
  approval: ['run_shell'] as BuiltinTool[],
  // No MCP server unless configured: each one is a process or a remote service to trust.
  mcp: {},
});

/**
 * MCP servers (tools.mcp). A server gets this long to start and answer `initialize` plus
 * `tools/list`: `npx -y some-server` may download the package on its first start. Tool calls have
 * the built-in tools' limits (see src/worker/model/tools.ts).
 */
export const MCP_START_TIMEOUT_MS = 30_000;

// Tasks one instance runs at once; model calls are I/O bound, so 8 keeps a worker busy without
// letting one instance hoard the queue.
export const DEFAULT_CAPACITY = 8;

/**
 * How often the supervisor samples its event-loop delay for `lightning_supervisor_nodejs_eventloop_lag_*`.
 * prom-client's default, 10 ms, wakes an idle supervisor 100 times a second — more of its idle CPU
 * than the six health probes. A stall delays the pending sample, so stalls are still measured;
 * only ones shorter than this can fall between samples.
 */
export const EVENT_LOOP_SAMPLE_MS = 500;

// One process per agent unless asked: the seed fleet should fit on a laptop.
export const DEFAULT_INSTANCES = 1;

/**
 * Alert rules on by default, tuned to page on real trouble only: an agent down for half a minute,
 * a crash loop, the system's own bar of < 5 % failed tasks, and tasks slower than two minutes.
 */
export const DEFAULT_ALERTS: Readonly<AlertSettings> = Object.freeze({
  unhealthyForMs: 30_000,
  restarts: { count: 5, windowMs: 5 * 60_000 },
  failureRate: { max: 0.05, windowMs: 15 * 60_000, minTasks: 20 },
  latencyP95: { maxMs: 120_000, windowMs: 15 * 60_000, minTasks: 20 },
  webhook: null,
  command: null,
});

/** How long a webhook POST may take, and how often it is retried, when agents.yaml does not say. */
export const DEFAULT_WEBHOOK = Object.freeze({ timeoutMs: 5000, retries: 3 });

/**
 * How a failed alert webhook POST (network error, timeout, 408, 429 or 5xx) is tried again: after
 * 1 s, 2 s, 4 s…, at most 10 s apart, or after the receiver's Retry-After when it says (up to the
 * same cap). Three retries wait 7 s in all: an alert arrives late rather than not at all.
 */
export const WEBHOOK_RETRY = Object.freeze({ initialDelayMs: 1000, factor: 2, maxDelayMs: 10_000, statuses: Object.freeze([408, 429, 500, 502, 503, 504]) });

/**
 * How a worker delivers A2A push notifications to a task's webhook: each POST may take 5 s, a
 * failed one (network error, timeout, 408, 429 or 5xx) is tried again after 250 ms, 500 ms, 1 s —
 * four attempts, under 25 s in all, so a dead webhook never holds a task's later updates for long.
 */
export const PUSH_DELIVERY = Object.freeze({ timeoutMs: 5000, attempts: 4, initialDelayMs: 250, factor: 2, maxDelayMs: 2000 });

/**
 * Learning is on by default: routing improves from outcomes without any set-up. Automatic teaming
 * is on too: its rule (src/router/team-proposal.ts) only fires on a task whose clauses each belong
 * clearly to a different specialist, so ordinary single-capability tasks route as before.
 */
export const DEFAULT_ROUTING: Readonly<RoutingSettings> = Object.freeze({ learn: true, autoTeam: true });

export const DEFAULT_LOGS: Readonly<LogSettings> = Object.freeze({
  // 10 MB per file keeps a chatty worker's history for hours without filling a disk.
  maxBytes: 10 * 1024 * 1024,
  // Five files (live + 4 rotated) bounds each instance to ~50 MB.
  files: 5,
});

/**
 * Leases of agents that join by themselves (`POST /v1/agents/register`). 15 s with a heartbeat
 * every third of it survives two lost heartbeats, and a dead machine leaves routing within 15 s.
 */
export const JOIN_LEASE = Object.freeze({
  defaultMs: 15_000,
  // Below 1 s heartbeats would be most of the traffic; above 10 min a dead agent lingers too long.
  minMs: 1_000,
  maxMs: 10 * 60_000,
  // A joining agent's card must answer this fast, or the registration is refused.
  cardTimeoutMs: 3_000,
});

/** The control API and the A2A endpoints: how much they read, how long they keep things open. */
// Task inputs can be long documents; a JSON body beyond this is refused (413) before parsing.
export const MAX_API_BODY_BYTES = 1024 * 1024;
// A2A JSON-RPC bodies carry messages with file parts (base64): four times the API's limit.
export const MAX_RPC_BODY_BYTES = 4 * 1024 * 1024;
// A comment line this often keeps idle SSE streams (and proxies between) from timing out.
export const SSE_HEARTBEAT_MS = 15_000;
// A task's own `timeoutMs` may ask for up to a day: beyond that it is a mistake, not a task.
export const MAX_TASK_TIMEOUT_MS = 24 * 60 * 60 * 1000;
// A person's note on a task (feedback, an approval decision), in characters.
export const MAX_NOTE_CHARS = 10_000;

/** How the supervisor talks to its workers (the task hot path, over keep-alive undici pools). */
export const WORKER_CLIENT = Object.freeze({
  // Connections per instance: more than a worker's default capacity, fewer than a saturated bench's
  // in flight, so tasks queue in the pool rather than open sockets without end.
  connections: 64,
  // `tasks/cancel` is best effort: a worker that cannot answer this fast is gone anyway.
  cancelTimeoutMs: 2_000,
  // An attempt asked without a stream (`message/send`) has its answer's headers come at the end:
  // waited for this much past the task's deadline, so the deadline (or the worker's own timeout
  // answer) ends it as a timeout, never the client's timer as a lost worker.
  answerGraceMs: 1_000,
});

/** The CLI's calls to the control API. */
export const API_CLIENT = Object.freeze({
  // A loopback API answers in milliseconds; five seconds means the supervisor is wedged.
  timeoutMs: 5_000,
  // `/healthz` only says whether something answers: a second is plenty on loopback.
  pingTimeoutMs: 1_000,
});

/** All of the above as one object, for printing and tests. */
export const DEFAULTS = Object.freeze({
  supervisor: DEFAULT_SUPERVISOR,
  logs: DEFAULT_LOGS,
  model: DEFAULT_MODEL,
  provider: DEFAULT_PROVIDER,
  health: DEFAULT_HEALTH,
  restart: DEFAULT_RESTART,
  stop: DEFAULT_STOP,
  task: DEFAULT_TASK,
  tools: DEFAULT_TOOLS,
  capacity: DEFAULT_CAPACITY,
  instances: DEFAULT_INSTANCES,
});

/** The environment file read beside agents.yaml (compose's convention): at up, reload and every restart. */
export const DOTENV_FILENAME = '.env';

/** Variables of `.env` whose values are secrets even when no agent names them in apiKeyEnv/tokenEnv. */
export const SECRET_VARIABLE_PATTERN = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;
