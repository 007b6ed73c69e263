import { routesOf } from '../config/types.js';
import type { AgentConfig, ModelRoute } from '../config/types.js';
import { resolveEndpoint } from '../config/model-endpoint.js';
import type { ModelEndpoint } from '../config/model-endpoint.js';
import { redact } from '../worker/model/errors.js';
import type { Finding } from './finding.js';
import { ok, problem, warn } from './finding.js';
import { builtInAgents } from './agents.js';
import { networkReason } from '../util/network-reason.js';

/** One cheap request per endpoint; doctor must stay quick even when a host is black-holed. */
export const MODEL_CHECK_TIMEOUT_MS = 2000;


/** An agent using an endpoint, the model it asks there, and whether it is the agent's first provider. */
interface EndpointUse {
  agent: AgentConfig;
  route: ModelRoute;
  first: boolean;
}

/**
 * For each distinct endpoint the built-in agents use (every provider of a `provider:` list): is
 * one configured, does it answer, and is the key accepted — one `GET {baseURL}/models` with the
 * key, exactly as the worker will send it. An endpoint only ever tried after another (a fallback)
 * that fails is a warning: the agents still answer while their first provider does. The key
 * itself never appears in a finding.
 */
export async function checkModelEndpoints(agents: readonly AgentConfig[], env: NodeJS.ProcessEnv = process.env): Promise<Finding[]> {
  const groups = new Map<string, EndpointUse[]>();
  for (const agent of builtInAgents(agents)) {
    routesOf(agent).forEach((route, index) => {
      const key = `${route.baseURL ?? ''}\0${route.apiKeyEnv}`;
      groups.set(key, [...(groups.get(key) ?? []), { agent, route, first: index === 0 }]);
    });
  }
  return Promise.all([...groups.values()].map(async (group) => {
    const finding = await checkGroup(group, env);
    if (finding.status !== 'problem' || group.some((use) => use.first)) return finding;
    return { ...finding, status: 'warn' as const, message: `fallback provider: ${finding.message}` };
  }));
}

async function checkGroup(group: EndpointUse[], env: NodeJS.ProcessEnv): Promise<Finding> {
  const first = group[0]!;
  const agentNames = [...new Set(group.map((use) => use.agent.name))];
  const names = agentNames.length > 3 ? `${agentNames.length} agents` : agentNames.join(', ');
  // Same provider settings → same resolution; named after the whole group so the advice reads right.
  const provider = { baseURL: first.route.baseURL, apiKeyEnv: first.route.apiKeyEnv };
  const resolved = resolveEndpoint({ name: names, provider }, env);
  if (!resolved.ok) return problem('model', resolved.error, configureHint(provider.apiKeyEnv));
  const endpoint = resolved.endpoint;
  const source = provider.baseURL ? 'provider.baseURL in agents.yaml' : env.OPENAI_BASE_URL?.trim() ? 'OPENAI_BASE_URL' : 'the OpenAI default';
  const url = `${endpoint.baseURL}/models`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${endpoint.apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(MODEL_CHECK_TIMEOUT_MS),
    });
  } catch (error) {
    return unreachable(error, endpoint, source);
  }
  const body = await response.text().catch(() => '');
  if (response.status === 401 || response.status === 403) {
    const why = endpoint.keySet ? `check ${endpoint.apiKeyEnv}` : `${endpoint.apiKeyEnv} is not set`;
    return problem('model', `API key rejected by ${endpoint.display} (HTTP ${response.status}) — ${why}`, endpoint.keySet ? `set ${endpoint.apiKeyEnv} to a valid key for ${endpoint.display} in .env beside agents.yaml (read at up, reload and every restart)` : `put ${endpoint.apiKeyEnv}=<your key> in .env beside agents.yaml (or export it before \`lightning up\`)`);
  }
  if (response.status === 404) {
    return warn('model', `${endpoint.display} answered HTTP 404 to GET /models (from ${source})`, 'check the URL ends in /v1 (e.g. http://localhost:11434/v1); some servers do not list models, and then this is harmless');
  }
  if (!response.ok) {
    return warn('model', `${endpoint.display} answered HTTP ${response.status} to GET /models: ${redact(body.slice(0, 120), endpoint)}`, 'the server is up but unhappy: check its own logs, then run doctor again');
  }
  const served = modelIds(body);
  const wanted = [...new Set(group.map((use) => use.route.model))];
  const missing = served === null ? [] : wanted.filter((model) => !served.includes(model));
  if (served !== null && missing.length > 0) {
    const list = served.length > 8 ? `${served.slice(0, 8).join(', ')}, …` : served.join(', ') || 'none';
    return warn('model', `${endpoint.display} accepts the key but does not list model ${missing.map((m) => `"${m}"`).join(', ')} (it serves: ${list})`, 'set model: in agents.yaml (defaults: or per agent) to one it serves, or pull the model (e.g. `ollama pull NAME`); servers that answer any name (llama.cpp) can ignore this');
  }
  const key = endpoint.keySet ? `key from ${endpoint.apiKeyEnv} accepted` : 'no key needed';
  return ok('model', `${endpoint.display} answers for ${names} (${key}; model ${wanted.join(', ')})`);
}

function unreachable(error: unknown, endpoint: ModelEndpoint, source: string): Finding {
  const timedOut = (error as Error)?.name === 'TimeoutError';
  const reason = timedOut ? `no answer within ${MODEL_CHECK_TIMEOUT_MS / 1000} s` : networkReason(error);
  if (reason === 'bad port') {
    // The Fetch standard blocks some ports (1, 6000, 6665–6669, …); the openai client uses fetch too.
    return problem('model', `the model endpoint ${endpoint.display} (from ${source}) is on a port fetch refuses to connect to ("bad port")`, `serve the model on another port (e.g. 8000) and update ${source}`);
  }
  const fix = source === 'the OpenAI default'
    ? 'check this machine can reach api.openai.com (proxy, firewall), or set OPENAI_BASE_URL to a local server'
    : `start the model server at ${endpoint.display} (e.g. \`ollama serve\`), or fix ${source}`;
  return problem('model', `cannot reach the model endpoint ${endpoint.display} (from ${source}): ${reason}`, fix);
}


function modelIds(body: string): string[] | null {
  try {
    const data = (JSON.parse(body) as { data?: unknown }).data;
    if (!Array.isArray(data)) return null;
    return data.flatMap((entry: unknown) => (typeof (entry as { id?: unknown })?.id === 'string' ? [(entry as { id: string }).id] : []));
  } catch {
    return null;
  }
}

function configureHint(apiKeyEnv: string): string {
  return `put ${apiKeyEnv}=<key> (OpenAI) or OPENAI_BASE_URL=http://localhost:11434/v1 (Ollama) in .env beside agents.yaml (or export it before \`lightning up\`) — or provider: { baseURL: … } in agents.yaml`;
}
