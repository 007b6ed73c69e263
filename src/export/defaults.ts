/**
 * Defaults of `lightning export`, in one place with the reason for each. They only shape the files
 * the export writes for other engines (Compose, Kubernetes, systemd); nothing here changes how
 * `lightning up` supervises.
 */
import { VERSION } from '../util/version.js';

/** The image the Dockerfile at the repository root builds (`docker build -t lightning:<version> .`). */
export const DEFAULT_IMAGE = `lightning:${VERSION}`;

/** Where the worker config and the prompts are mounted in every container. */
export const CONTAINER_CONFIG_DIR = '/etc/lightning';
export const CONTAINER_CONFIG_FILE = `${CONTAINER_CONFIG_DIR}/agents.yaml`;
/** Writable state: the supervisor's home (ledger, supervisor.json) and the task workspaces. */
export const CONTAINER_DATA_DIR = '/data';
export const CONTAINER_WORKSPACES_DIR = `${CONTAINER_DATA_DIR}/workspaces`;
/** A custom `command:` agent's own directory (its cwd on the host) is mounted here, read-only. */
export const CONTAINER_AGENT_DIR = '/agent';

/**
 * Port an agent listens on inside its container when agents.yaml says `port: 0` (a free port per
 * spawn makes no sense for a container that has its own network namespace).
 */
export const CONTAINER_FALLBACK_PORT = 8080;

/** The supervisor's control API port in a container when agents.yaml says `port: 0`. */
export const CONTAINER_SUPERVISOR_PORT = 9000;

/** Name of the supervisor's service/Deployment; agents get their DNS-safe names. */
export const SUPERVISOR_SERVICE = 'lightning';

/**
 * The variable the workers' bearer token travels in: workers read it as LIGHTNING_TOKEN, the
 * supervisor's derived config names it as each remote agent's `tokenEnv`. Unset = no token
 * (the workers are only reachable on the private container network).
 */
export const WORKER_TOKEN_ENV = 'LIGHTNING_WORKER_TOKEN';

/**
 * Docker runs a healthcheck by exec-ing a process in the container. Measured here, one
 * `node -e "http.get(…)"` costs 0.12 s of CPU (0.32 s with fetch, which loads undici): at the
 * agents' 1 s interval six agents would burn ~70 % of a core on healthchecks alone. The supervisor
 * already probes every agent at its own interval over HTTP (~0.1 ms each), so Docker's check,
 * which only feeds `docker ps` and `depends_on`, runs at most this often.
 */
export const COMPOSE_HEALTHCHECK_MIN_INTERVAL_MS = 10_000;

/** Kubernetes: the Secret holding model API keys (and OPENAI_BASE_URL, if any), by key name. */
export const K8S_MODEL_SECRET = 'lightning-model';
/** Kubernetes: the Secret holding the workers' bearer token under the key `token`. */
export const K8S_WORKER_TOKEN_SECRET = 'lightning-worker-token';
export const K8S_AGENTS_CONFIGMAP = 'lightning-agents';
export const K8S_SUPERVISOR_CONFIGMAP = 'lightning-supervisor';

/**
 * Requests and limits per container. A built-in worker idles at ~70 MB RSS (measured: 71.7 MB
 * after start); model calls are I/O bound, so 100m CPU is enough to schedule it and the 1-CPU
 * limit only caps a runaway. 512 Mi leaves room for eight tasks' tool output in flight.
 */
export const K8S_WORKER_RESOURCES = Object.freeze({
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '1', memory: '512Mi' },
});
/** The supervisor keeps the router's memory of up to 5,000 recent tasks; same budget as a worker. */
export const K8S_SUPERVISOR_RESOURCES = Object.freeze({
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '1', memory: '512Mi' },
});

/** The non-root user of node:20-slim (`node`), which the Dockerfile runs as. */
export const CONTAINER_UID = 1000;

/**
 * Seconds added to the agents' stop grace when telling an engine how long a stop may take
 * (Compose stop_grace_period, Kubernetes terminationGracePeriodSeconds, systemd TimeoutStopSec),
 * so the engine's SIGKILL never cuts a drain lightning would have finished.
 */
export const STOP_MARGIN_S = 5;
/** The supervisor stops every agent (each up to its grace) and then itself: a wider margin. */
export const SUPERVISOR_STOP_MARGIN_S = 10;
