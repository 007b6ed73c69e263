import { Help } from 'commander';
import type { Command, Option } from 'commander';
import { SHELLS, completionScript } from '../../scaffold/completion-scripts.js';
import type { CommandSpec, CompletionModel, OptionSpec, Shell, ValueKind } from '../../scaffold/completion-scripts.js';
import { EXIT, ExitError } from '../exit-error.js';

/** Values worth completing, by option flag; any other option that takes a value gets none. */
const OPTION_VALUES: Record<string, ValueKind> = {
  '--agent': { kind: 'agents' },
  '--lang': { kind: 'words', words: ['python', 'ts'] },
  '--config': { kind: 'files' },
  '--home': { kind: 'dirs' },
  '--output': { kind: 'dirs' },
  '--status': { kind: 'words', words: ['completed', 'failed', 'cancelled', 'timeout', 'interrupted', 'running', 'awaiting-approval'] },
};

/** What a command's first argument completes to, by command path. */
const ARGUMENT_VALUES: Record<string, ValueKind> = {
  logs: { kind: 'agents' },
  status: { kind: 'agents' },
  completion: { kind: 'words', words: [...SHELLS] },
  init: { kind: 'dirs' },
  export: { kind: 'words', words: ['compose', 'kubernetes', 'systemd'] },
};

/** `lightning completion bash|zsh|fish`: prints a completion script for the whole command line. */
export async function completionCommand(shell: string, program: Command): Promise<void> {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new ExitError(`no completion for shell ${JSON.stringify(shell)}\n  fix: lightning completion ${SHELLS.join('|')}`, EXIT.usage);
  }
  process.stdout.write(completionScript(shell as Shell, modelOf(program)));
}

function modelOf(program: Command): CompletionModel {
  const help = new Help();
  const commandSpec = (command: Command, path: string[]): CommandSpec => {
    const key = [...path, command.name()].join('/');
    return {
      name: command.name(),
      aliases: command.aliases(),
      description: command.description(),
      options: help.visibleOptions(command).map(optionSpec),
      subcommands: help.visibleCommands(command).filter((sub) => sub.name() !== 'help').map((sub) => commandSpec(sub, [...path, command.name()])),
      argument: ARGUMENT_VALUES[key] ?? (command.registeredArguments.length > 0 ? { kind: 'free' } : null),
    };
  };
  return {
    program: program.name(),
    globalOptions: help.visibleOptions(program).map(optionSpec),
    commands: help.visibleCommands(program).filter((command) => command.name() !== 'help').map((command) => commandSpec(command, [])),
  };
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((flag): flag is string => Boolean(flag));
  const takesValue = option.required || option.optional;
  return {
    flags,
    description: option.description,
    value: takesValue ? (OPTION_VALUES[option.long ?? ''] ?? { kind: 'free' }) : null,
  };
}
