import type { AgentConfig, ProviderSettings } from './types.js';

/** Where an agent's model calls go. `apiKey` is only ever handed to the openai client. */
export interface ModelEndpoint {
  /** Without a trailing slash. */
  baseURL: string;
  /** baseURL as shown in messages: any user:password in it masked. */
  display: string;
  apiKey: string;
  /** False when `apiKey` is the placeholder sent to keyless local servers. */
  keySet: boolean;
  apiKeyEnv: string;
}

export type EndpointResolution = { ok: true; endpoint: ModelEndpoint } | { ok: false; error: string };

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Local servers (Ollama, vLLM, llama.cpp, LM Studio) ignore the key, but the SDK wants one. */
const KEYLESS_PLACEHOLDER = 'not-needed';

function nonEmpty(value: string | undefined | null): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/**
 * baseURL = provider.baseURL → $OPENAI_BASE_URL → OpenAI (only when a key is set, since OpenAI
 * without a key can only fail). Nothing at all → an error that says how to configure one.
 */
export function resolveEndpoint(agent: Pick<AgentConfig, 'name' | 'provider'>, env: NodeJS.ProcessEnv): EndpointResolution {
  return resolveProviderEndpoint(agent.name, agent.provider, env);
}

/** The same for any one provider of an agent (each entry of a `provider:` list). */
export function resolveProviderEndpoint(agentName: string, provider: ProviderSettings, env: NodeJS.ProcessEnv): EndpointResolution {
  const agent = { name: agentName };
  const apiKeyEnv = provider.apiKeyEnv;
  const apiKey = nonEmpty(env[apiKeyEnv]);
  const fromConfig = nonEmpty(provider.baseURL);
  const fromEnv = nonEmpty(env.OPENAI_BASE_URL);
  const baseURL = fromConfig ?? fromEnv ?? (apiKey ? OPENAI_DEFAULT_BASE_URL : null);
  if (baseURL === null) {
    return {
      ok: false,
      error:
        `no model endpoint configured for ${agent.name}: set ${apiKeyEnv} to use OpenAI, ` +
        'or OPENAI_BASE_URL for a local server — Ollama http://localhost:11434/v1, ' +
        'vLLM http://localhost:8000/v1, llama.cpp http://localhost:8080/v1, ' +
        'LM Studio http://localhost:1234/v1 (or provider.baseURL in agents.yaml)',
    };
  }
  const source = fromConfig ? 'provider.baseURL' : fromEnv ? 'OPENAI_BASE_URL' : 'the OpenAI default';
  let parsed: URL;
  try {
    parsed = new URL(baseURL);
  } catch {
    return { ok: false, error: `invalid model endpoint URL ${JSON.stringify(baseURL)} (from ${source}) for ${agent.name}` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, error: `model endpoint URL ${baseURL} (from ${source}) for ${agent.name} must be http:// or https://` };
  }
  const trimmed = baseURL.replace(/\/+$/, '');
  let display = trimmed;
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
    display = parsed.toString().replace(/\/+$/, '');
  }
  return {
    ok: true,
    endpoint: {
      baseURL: trimmed,
      display,
      apiKey: apiKey ?? KEYLESS_PLACEHOLDER,
      keySet: apiKey !== null,
      apiKeyEnv,
    },
  };
}
