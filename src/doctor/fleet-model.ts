import { ApiClient } from '../api/client.js';
import type { ModelSettingsDocument } from '../protocol/model-settings.js';
import type { Finding } from './finding.js';
import { ok, problem, warn } from './finding.js';
import type { RunningSupervisor } from './supervisor-files.js';

const TIMEOUT_MS = 2000;

/**
 * With a supervisor running, the model settings that matter are the fleet's — its environment as
 * it started, with `.env` over it — not this shell's: asked of the control API, which says which
 * agents have an endpoint and a key (never the key).
 */
export async function checkFleetModelSettings(running: RunningSupervisor): Promise<Finding[]> {
  let document: ModelSettingsDocument;
  try {
    const response = await new ApiClient(running.info).modelSettings({ timeoutMs: TIMEOUT_MS });
    if (response.status === 404) {
      return [warn('model', `the running supervisor (pid ${running.info.pid}) is older than this lightning and cannot say what its agents see`, 'restart the fleet (`lightning down && lightning up -d`) to check it')];
    }
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    document = response.body;
  } catch (error) {
    return [warn('model', `could not ask the running supervisor for its agents' model settings: ${(error as Error).message}`, 'run doctor again; `lightning status` shows whether the supervisor answers')];
  }
  const builtIn = document.agents.filter((agent) => agent.builtIn);
  if (builtIn.length === 0) return [];
  const envFile = document.file;
  const findings: Finding[] = [];
  const missing = builtIn.filter((agent) => agent.endpoint === null);
  if (missing.length > 0) {
    const names = missing.map((agent) => agent.agent).join(', ');
    findings.push(
      problem(
        'model',
        `the running fleet has no model endpoint for ${names}: neither ${missing[0]!.keyEnv} nor OPENAI_BASE_URL reaches its agents (${document.present ? `not set in ${envFile}` : `no ${envFile}`}, nor in the environment the supervisor started with)`,
        `put ${missing[0]!.keyEnv}=<your key> (OpenAI) or OPENAI_BASE_URL=http://localhost:11434/v1 (a local server) in ${envFile}, then \`lightning reload\``,
      ),
    );
  }
  // Grouped by endpoint and key state: one line for the usual case of a fleet on one endpoint.
  const groups = new Map<string, typeof builtIn>();
  for (const agent of builtIn.filter((candidate) => candidate.endpoint !== null)) {
    const key = `${agent.endpoint}\0${agent.source}\0${agent.keyEnv}\0${agent.keySet}\0${agent.keyFrom}`;
    groups.set(key, [...(groups.get(key) ?? []), agent]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const names = group.length > 3 ? `${group.length} agents` : group.map((agent) => agent.agent).join(', ');
    const key = first.keySet ? `key ${first.keyEnv} set (from ${first.keyFrom})` : `no ${first.keyEnv}`;
    const message = `the running fleet's ${names}: endpoint ${first.endpoint} (from ${first.source}), ${key}`;
    if (!first.keySet && first.endpoint?.includes('api.openai.com')) {
      findings.push(problem('model', message, `put ${first.keyEnv}=<your key> in ${envFile}, then \`lightning reload\``));
    } else findings.push(ok('model', message));
  }
  return findings;
}
