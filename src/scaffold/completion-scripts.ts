/**
 * Shell completion scripts for bash, zsh and fish, written from a description of the command line
 * (built from the commander program itself, so they never fall behind it). Agent names are read
 * at TAB time from the nearest agents.yaml with awk: no node start per keystroke.
 */

import { AGENTS_AWK, SHELLS } from './completion-model.js';
import type { CommandSpec, CompletionModel, OptionSpec, Shell, ValueKind } from './completion-model.js';
import { fishScript } from './completion-fish.js';

export { SHELLS };
export type { CommandSpec, CompletionModel, OptionSpec, Shell, ValueKind };

export function completionScript(shell: Shell, model: CompletionModel): string {
  switch (shell) {
    case 'bash':
      return bashScript(model);
    case 'zsh':
      return zshScript(model);
    case 'fish':
      return fishScript(model);
  }
}

/** Sourceable by bash and zsh: the nearest agents.yaml (or $LIGHTNING_CONFIG), its agent names. */
function agentsFunction(program: string): string {
  return `__${program}_agents() {
  local dir="$PWD" file="\${LIGHTNING_CONFIG:-}"
  while [ -z "$file" ]; do
    if [ -f "$dir/agents.yaml" ]; then file="$dir/agents.yaml"
    elif [ -f "$dir/agents.yml" ]; then file="$dir/agents.yml"
    elif [ "$dir" = / ] || [ -z "$dir" ]; then return 0
    else dir="\${dir%/*}"; [ -z "$dir" ] && dir=/
    fi
  done
  [ -f "$file" ] && ${AGENTS_AWK} "$file" 2>/dev/null
}`;
}

const keyOf = (path: string[]) => path.join('/');

/** Every command path (`up`, `new/agent`) with what it accepts, globals included. */
function flatten(model: CompletionModel): Array<{ key: string; spec: CommandSpec; options: OptionSpec[] }> {
  const out: Array<{ key: string; spec: CommandSpec; options: OptionSpec[] }> = [];
  // Program options are accepted after a command too; --version is not worth offering there.
  const inherited = model.globalOptions.filter((option) => !option.flags.includes('--version'));
  const walk = (spec: CommandSpec, path: string[]) => {
    for (const name of [spec.name, ...spec.aliases]) {
      out.push({ key: keyOf([...path, name]), spec, options: uniqueFlags([...spec.options, ...inherited]) });
    }
    for (const sub of spec.subcommands) walk(sub, [...path, spec.name]);
  };
  for (const command of model.commands) walk(command, []);
  return out;
}

function uniqueFlags(options: OptionSpec[]): OptionSpec[] {
  const seen = new Set<string>();
  return options.filter((option) => {
    const key = option.flags.join('|');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function valueOptions(options: OptionSpec[]): string[] {
  return options.filter((option) => option.value !== null).flatMap((option) => option.flags);
}

function bashValue(value: ValueKind, program: string): string {
  switch (value.kind) {
    case 'agents':
      return `COMPREPLY=($(compgen -W "$(__${program}_agents)" -- "$cur"))`;
    case 'words':
      return `COMPREPLY=($(compgen -W "${value.words.join(' ')}" -- "$cur"))`;
    case 'files':
      return 'COMPREPLY=($(compgen -f -- "$cur"))';
    case 'dirs':
      return 'COMPREPLY=($(compgen -d -- "$cur"))';
    case 'free':
      return 'COMPREPLY=()';
  }
}

/** Walks the words before the cursor: command path, positional count, and whether the previous word wants a value. */
function scanLoop(model: CompletionModel, flat: ReturnType<typeof flatten>, first: string, last: string, word: string): string {
  const valueCases = [
    `'') case "$w" in ${valueOptions(model.globalOptions).join('|') || '--'}) i=$((i + 1)) ;; esac ;;`,
    ...flat.map(({ key, options }) => `${key}) case "$w" in ${valueOptions(options).join('|') || '--'}) i=$((i + 1)) ;; esac ;;`),
  ];
  const withSubcommands = flat.filter(({ spec }) => spec.subcommands.length > 0).map(({ key }) => key);
  return `  local cmd= npos=0 i w
  for ((i = ${first}; i < ${last}; i++)); do
    w=${word}
    if [[ $w == -* ]]; then
      case "$cmd" in
        ${valueCases.join('\n        ')}
      esac
      continue
    fi
    if [[ -z $cmd ]]; then cmd=$w
    elif [[ $npos -eq 0 && ( ${withSubcommands.map((key) => `$cmd == ${key}`).join(' || ') || 'false'} ) ]]; then cmd=$cmd/$w
    else npos=$((npos + 1)); fi
  done`;
}

function bashScript(model: CompletionModel): string {
  const p = model.program;
  const flat = flatten(model);
  const optionValueCases = [
    ...new Map(
      [...model.globalOptions, ...flat.flatMap(({ options }) => options)]
        .filter((option) => option.value !== null)
        .map((option) => [option.flags.join('|'), option.value as ValueKind] as const),
    ),
  ].map(([flags, value]) => `${flags}) ${bashValue(value, p)}; return 0 ;;`);
  const optionLists = flat.map(({ key, options }) => `${key}) opts="${options.flatMap((option) => option.flags).join(' ')}" ;;`);
  const argumentCases = flat.map(({ key, spec }) => {
    if (spec.subcommands.length > 0) return `${key}) COMPREPLY=($(compgen -W "${spec.subcommands.map((sub) => sub.name).join(' ')}" -- "$cur")) ;;`;
    return `${key}) ${spec.argument && spec.argument.kind !== 'free' ? `[[ $npos -eq 0 ]] && ${bashValue(spec.argument, p)}` : ':'} ;;`;
  });
  const commands = model.commands.flatMap((command) => [command.name, ...command.aliases]).join(' ');
  return `# bash completion for ${p} (generated by \`${p} completion bash\`)
# Install: ${p} completion bash > ~/.local/share/bash-completion/completions/${p}
#      or: echo 'source <(${p} completion bash)' >> ~/.bashrc
${agentsFunction(p)}

_${p}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev=""
  [[ $COMP_CWORD -gt 0 ]] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
${scanLoop(model, flat, '1', '$COMP_CWORD', '"${COMP_WORDS[i]}"')}
  if [[ $prev == -* && $i -gt $COMP_CWORD ]]; then
    case "$prev" in
      ${optionValueCases.join('\n      ')}
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    local opts="${model.globalOptions.flatMap((option) => option.flags).join(' ')}"
    case "$cmd" in
      ${optionLists.join('\n      ')}
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi
  case "$cmd" in
    '') COMPREPLY=($(compgen -W "${commands}" -- "$cur")) ;;
    ${argumentCases.join('\n    ')}
  esac
  return 0
}
complete -F _${p} ${p}
`;
}

const zshQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const zshItem = (name: string, description: string) => zshQuote(`${name.replaceAll(':', '\\:')}:${description}`);

function zshValue(value: ValueKind, program: string): string {
  switch (value.kind) {
    case 'agents':
      return `compadd -- \${(f)"$(__${program}_agents)"}`;
    case 'words':
      return `compadd -- ${value.words.join(' ')}`;
    case 'files':
      return '_files';
    case 'dirs':
      return '_files -/';
    case 'free':
      return ':';
  }
}

function zshScript(model: CompletionModel): string {
  const p = model.program;
  const flat = flatten(model);
  const describeOptions = (options: OptionSpec[]) => options.flatMap((option) => option.flags.map((flag) => zshItem(flag, option.description))).join(' ');
  const optionValueCases = [
    ...new Map(
      [...model.globalOptions, ...flat.flatMap(({ options }) => options)]
        .filter((option) => option.value !== null)
        .map((option) => [option.flags.join('|'), option.value as ValueKind] as const),
    ),
  ].map(([flags, value]) => `${flags}) ${zshValue(value, p)}; return ;;`);
  const argumentCases = flat.map(({ key, spec }) => {
    if (spec.subcommands.length > 0) return `${key}) items=(${spec.subcommands.map((sub) => zshItem(sub.name, sub.description)).join(' ')}); _describe 'command' items ;;`;
    return `${key}) ${spec.argument && spec.argument.kind !== 'free' ? `(( npos == 0 )) && ${zshValue(spec.argument, p)}` : ':'} ;;`;
  });
  const commands = model.commands.flatMap((command) => [command.name, ...command.aliases].map((name) => zshItem(name, command.description)));
  return `#compdef ${p}
# zsh completion for ${p} (generated by \`${p} completion zsh\`)
# Install: ${p} completion zsh > "\${fpath[1]}/_${p}"   (then start a new shell)
#      or: echo 'source <(${p} completion zsh)' >> ~/.zshrc   (after compinit)
${agentsFunction(p)}

_${p}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local -a items
${scanLoop(model, flat, '2', 'CURRENT', '"${words[i]}"')}
  if [[ $prev == -* ]] && (( i > CURRENT )); then
    case "$prev" in
      ${optionValueCases.join('\n      ')}
    esac
    return
  fi
  if [[ $cur == -* ]]; then
    items=(${describeOptions(model.globalOptions)})
    case "$cmd" in
      ${flat.map(({ key, options }) => `${key}) items=(${describeOptions(options)}) ;;`).join('\n      ')}
    esac
    _describe 'option' items
    return
  fi
  case "$cmd" in
    '') items=(${commands.join(' ')}); _describe 'command' items ;;
    ${argumentCases.join('\n    ')}
  esac
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _${p} "$@"
else
  compdef _${p} ${p}
fi
`;
}

