import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/fleet.js';

/** Runs bash's completion function the way a TAB press does, returning COMPREPLY. */
async function complete(script: string, cwd: string, words: string[]): Promise<string[]> {
  const driver = `${script}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_lightning
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = await execa('bash', ['--norc', '--noprofile', '-c', driver], { cwd, reject: false, env: { PATH: process.env.PATH ?? '' }, extendEnv: false });
  if (result.exitCode !== 0) throw new Error(`bash exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

async function which(program: string): Promise<boolean> {
  return (await execa('sh', ['-c', `command -v ${program}`], { reject: false })).exitCode === 0;
}

describe('lightning completion', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'lightning-completion-'));
  writeFileSync(
    path.join(project, 'agents.yaml'),
    '# a comment\nversion: 1\nagents:\n  # not an agent: a comment\n  invoice_parser:\n    port: 0\n    capabilities: [invoice]\n  ticket_triager: { port: 0 }\nalerts:\n  unhealthyFor: 1m\n',
  );
  const sub = path.join(project, 'deep/er');
  mkdirSync(sub, { recursive: true });

  it('bash: the script parses, and completes commands, options, values and agent names', async () => {
    const result = await cli(project, ['completion', 'bash']);
    expect(result.exitCode).toBe(0);
    const script = result.stdout;
    const file = path.join(project, 'completion.bash');
    writeFileSync(file, script);
    const syntax = await execa('bash', ['-n', file], { reject: false });
    expect(syntax.stderr).toBe('');
    expect(syntax.exitCode).toBe(0);

    expect(await complete(script, project, ['lightning', 'lo'])).toEqual(['logs']);
    expect(await complete(script, project, ['lightning', '-c', 'agents.yaml', 'sta'])).toEqual(['status', 'start', 'stats']);
    // Agent names from the nearest agents.yaml, from a subdirectory too.
    expect(await complete(script, sub, ['lightning', 'logs', ''])).toEqual(['invoice_parser', 'ticket_triager']);
    expect(await complete(script, project, ['lightning', 'run', '--agent', 'ti'])).toEqual(['ticket_triager']);
    expect(await complete(script, project, ['lightning', 'new', ''])).toEqual(['agent']);
    expect(await complete(script, project, ['lightning', 'new', 'agent', 'x', '--lang', ''])).toEqual(['python', 'ts']);
    expect(await complete(script, project, ['lightning', 'up', '--d'])).toEqual(['--detach']);
    expect(await complete(script, project, ['lightning', 'completion', 'z'])).toEqual(['zsh']);
    // A value that cannot be guessed gets nothing rather than a wrong suggestion.
    expect(await complete(script, project, ['lightning', 'run', '--timeout', ''])).toEqual([]);
  });

  it('zsh and fish: the scripts parse (where those shells are installed)', async () => {
    for (const shell of ['zsh', 'fish'] as const) {
      const result = await cli(project, ['completion', shell]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('logs');
      if (!(await which(shell))) {
        console.warn(`completion: ${shell} is not installed (apt-get install ${shell}); its script was generated but not parsed`);
        continue;
      }
      const file = path.join(project, `completion.${shell}`);
      writeFileSync(file, result.stdout);
      const syntax = await execa(shell, ['-n', file], { reject: false });
      expect(`${shell}: ${syntax.stderr}`).toBe(`${shell}: `);
      expect(syntax.exitCode).toBe(0);
    }
  });

  it('refuses an unknown shell with exit 2', async () => {
    const result = await cli(project, ['completion', 'tcsh']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('bash|zsh|fish');
  });
});
