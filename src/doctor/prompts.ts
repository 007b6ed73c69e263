import { readFileSync } from 'node:fs';
import type { LightningConfig } from '../config/types.js';
import type { Finding } from './finding.js';
import { ok, plural, problem, warn } from './finding.js';

/**
 * The loader already knows each prompt file exists; this reads it as the worker will, so a file
 * the supervisor's user cannot read, or an empty one, shows now rather than as failed tasks.
 */
export function checkPrompts(config: LightningConfig): Finding[] {
  const findings: Finding[] = [];
  let readable = 0;
  for (const agent of config.agents) {
    if (agent.prompt === null) continue;
    let text: string;
    try {
      text = readFileSync(agent.prompt, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      findings.push(problem('prompts', `prompt of ${agent.name} cannot be read: ${agent.prompt} (${reason})`, `make it readable (chmod a+r ${agent.prompt}) or fix prompt: in agents.yaml`));
      continue;
    }
    if (text.trim() === '') {
      findings.push(warn('prompts', `prompt of ${agent.name} is empty: ${agent.prompt}`, "write the agent's system prompt in it: who it is and how it works"));
      continue;
    }
    readable++;
  }
  if (findings.length === 0) return readable === 0 ? [] : [ok('prompts', `${plural(readable, 'prompt file')} readable`)];
  return findings;
}
