import { Command, CommanderError } from 'commander';
import { VERSION } from '../util/version.js';
import { EXIT } from './exit-error.js';

/**
 * The command line: wiring only. Each verb lives in its own file under commands/ and is loaded
 * when used, so `lightning status` does not pay for what `lightning up` imports. main.ts runs it.
 */
const program = new Command('lightning')
  .description('Supervise a fleet of LLM agent workers: spawn, probe, restart, route, account.')
  .version(VERSION, '-V, --version')
  .option('-c, --config <file>', 'agents.yaml to use (default: nearest agents.yaml from the current directory, or $LIGHTNING_CONFIG)')
  .option('--home <dir>', 'state directory (default: .lightning/ beside agents.yaml, or $LIGHTNING_HOME)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

program
  .command('up')
  .description('start every agent in agents.yaml, probe health, restart on failure')
  .option('-d, --detach', 'run the supervisor in the background; return once every agent is healthy')
  .option('--timeout <duration>', 'with -d: how long to wait for the fleet to come up', '60s')
  .addHelpText('after', examples(['lightning up', 'lightning up -d', 'lightning -c prod/agents.yaml up -d --timeout 2m']))
  .action(async (_options, command: Command) => {
    const { upCommand } = await import('./commands/up.js');
    await upCommand(command.optsWithGlobals());
  });

program
  .command('status [name]')
  .alias('ps')
  .description('show every instance: state, pid, port, restarts, uptime, last exit (fitted to the terminal); NAME: one agent in full')
  .option('--json', 'print the status document as JSON (nothing else on stdout)')
  .option('-w, --watch', 'redraw every second in place, with in-flight tasks and success rate (q to leave)')
  .addHelpText('after', examples(['lightning status', 'lightning status web_developer', 'lightning status --watch', 'lightning status --json | jq ".agents[] | select(.state != \\"healthy\\")"']))
  .action(async (name: string | undefined, _options, command: Command) => {
    const { statusCommand } = await import('./commands/status.js');
    await statusCommand(command.optsWithGlobals(), name);
  });

program
  .command('logs')
  .description("print the agents' logs: every agent merged by time, one agent (NAME) or one instance (NAME/i)")
  .argument('[name]', 'agent name, or NAME/i for instance i (default: every agent, lines prefixed NAME/i | )')
  .option('-n, --lines <n>', `how many lines to show (default: 50, or every line with --since)`)
  .option('-f, --follow', 'keep printing new lines, across restarts and rotation')
  .option('--since <duration>', 'only lines from this last stretch, e.g. 10m, 1h')
  .addHelpText('after', examples(['lightning logs', 'lightning logs -f --since 10m', 'lightning logs web_developer', 'lightning logs web_developer/1 -n 200', 'lightning logs data_analyst -f']))
  .action(async (name: string | undefined, _options, command: Command) => {
    const { logsCommand } = await import('./commands/logs.js');
    await logsCommand(name, command.optsWithGlobals());
  });

program
  .command('down')
  .description('stop every agent gracefully and the supervisor; leave no process behind')
  .addHelpText('after', examples(['lightning down', 'lightning --home /tmp/fleet down']))
  .action(async (_options, command: Command) => {
    const { downCommand } = await import('./commands/down.js');
    await downCommand(command.optsWithGlobals());
  });

program
  .command('run')
  .description('route a task to the best healthy agent, show progress, print the result')
  .argument('<task>', 'what the agent should do')
  .option('--agent <name>', 'send it to this agent instead of letting the router choose')
  .option('--team', 'plan it into subtasks for several agents (the planner agent plans and combines)')
  .option('--no-team', 'one agent, even when the router would run the task as a team (routing.autoTeam)')
  .option('--budget <limits>', "what it may spend: 50k-tokens, '$0.20', 5m, or several with commas (default: the agent's task.budget)")
  .option('--timeout <duration>', 'give up after this long (default: the agent\'s task.timeout)')
  .option('--json', 'print the result as JSON (nothing else on stdout)')
  .option('--detach', 'print the task id and return at once')
  .option('--no-autostart', 'fail (exit 3) instead of starting a supervisor when none runs')
  .addHelpText('after', examples(['lightning run "Build a responsive landing page in React"', 'lightning run --agent data_analyst "Summarise sales.csv" --json', 'lightning run --detach "Write end-to-end tests for checkout"', 'lightning run --team "Build a signup page, write Playwright tests for it, and a Dockerfile"']))
  .action(async (task: string, _options, command: Command) => {
    const { runCommand } = await import('./commands/run.js');
    await runCommand(task, command.optsWithGlobals());
  });

program
  .command('tasks')
  .description('list recent tasks, newest first')
  .option('--status <status>', 'only tasks in this state (completed, failed, cancelled, timeout, interrupted, running, awaiting-approval)')
  .option('-n, --lines <n>', 'how many', '20')
  .option('--json', 'print JSON')
  .addHelpText('after', examples(['lightning tasks', 'lightning tasks --status failed -n 50']))
  .action(async (_options, command: Command) => {
    const { tasksCommand } = await import('./commands/tasks.js');
    await tasksCommand(command.optsWithGlobals());
  });

program
  .command('task')
  .description('show one task: attempts, timings, usage, output, files')
  .argument('<id>', 'task id (from run or tasks), or a unique prefix of one')
  .option('--json', 'print JSON')
  .addHelpText('after', examples(['lightning task 3f2a', 'lightning task 3f2a --json']))
  .action(async (id: string, _options, command: Command) => {
    const { taskCommand } = await import('./commands/tasks.js');
    await taskCommand(id, command.optsWithGlobals());
  });

program
  .command('cancel')
  .description('cancel a running task')
  .argument('<id>', 'task id, or a unique prefix of one')
  .addHelpText('after', examples(['lightning cancel 3f2a']))
  .action(async (id: string, _options, command: Command) => {
    const { cancelCommand } = await import('./commands/tasks.js');
    await cancelCommand(id, command.optsWithGlobals());
  });

program
  .command('approve')
  .description('let the tool call a task waits with run (see `lightning status` for what waits)')
  .argument('<id>', 'task id, or a unique prefix of one')
  .option('--note <text>', 'why, kept in the ledger')
  .addHelpText('after', examples(['lightning approve 3f2a', 'lightning approve 3f2a --note "build dir only"']))
  .action(async (id: string, _options, command: Command) => {
    const { approvalCommand } = await import('./commands/approval.js');
    await approvalCommand('approved', id, command.optsWithGlobals());
  });

program
  .command('deny')
  .description('refuse the tool call a task waits with: the model gets "denied by a person: NOTE" and goes on')
  .argument('<id>', 'task id, or a unique prefix of one')
  .option('--note <text>', 'why: the model reads it, the ledger keeps it')
  .addHelpText('after', examples(['lightning deny 3f2a', 'lightning deny 3f2a --note "do not delete the build"']))
  .action(async (id: string, _options, command: Command) => {
    const { approvalCommand } = await import('./commands/approval.js');
    await approvalCommand('denied', id, command.optsWithGlobals());
  });

program
  .command('reload')
  .description('apply agents.yaml to the running fleet now (it is also watched for changes)')
  .addHelpText('after', examples(['lightning reload']))
  .action(async (_options, command: Command) => {
    const { reloadCommand } = await import('./commands/reload.js');
    await reloadCommand(command.optsWithGlobals());
  });

program
  .command('restart')
  .description("restart an agent's instances one at a time, each healthy before the next (clears a failed one's crash streak)")
  .argument('<name>', 'agent name, or NAME/i for instance i')
  .addHelpText('after', examples(['lightning restart web_developer', 'lightning restart web_developer/1']))
  .action(async (name: string, _options, command: Command) => {
    const { restartCommand } = await import('./commands/restart.js');
    await restartCommand(name, command.optsWithGlobals());
  });

program
  .command('stop')
  .description('stop an agent (or NAME/i); it stays stopped, not restarted by probes, until start or up')
  .argument('<name>', 'agent name, or NAME/i for instance i')
  .addHelpText('after', examples(['lightning stop data_analyst', 'lightning stop web_developer/1']))
  .action(async (name: string, _options, command: Command) => {
    const { stopCommand } = await import('./commands/stop.js');
    await stopCommand(name, command.optsWithGlobals());
  });

program
  .command('start')
  .description('start a stopped or failed agent (or NAME/i) again')
  .argument('<name>', 'agent name, or NAME/i for instance i')
  .addHelpText('after', examples(['lightning start data_analyst']))
  .action(async (name: string, _options, command: Command) => {
    const { startCommand } = await import('./commands/start.js');
    await startCommand(name, command.optsWithGlobals());
  });

program
  .command('export')
  .description('write the fleet for another engine: a Compose file, Kubernetes manifests or a systemd unit')
  .argument('<target>', 'compose, kubernetes or systemd')
  .option('-o, --output <dir>', 'write the files into this directory (default: print to stdout)')
  .option('--force', 'with -o: replace files that exist')
  .option('--image <ref>', 'container image the Compose services and Kubernetes pods run (default: lightning:<version>, built from the Dockerfile)')
  .addHelpText('after', examples(['lightning export compose -o deploy/compose', 'lightning export kubernetes | kubectl apply -f -', 'lightning export systemd -o ~/.config/systemd/user']))
  .action(async (target: string, _options, command: Command) => {
    const { exportCommand } = await import('./commands/export.js');
    await exportCommand(target, command.optsWithGlobals());
  });

program
  .command('dashboard')
  .description('print (or --open) a one-time login link to the live web dashboard')
  .option('--open', 'open it in the browser')
  .addHelpText('after', examples(['lightning dashboard', 'lightning dashboard --open']))
  .action(async (_options, command: Command) => {
    const { dashboardCommand } = await import('./commands/dashboard.js');
    await dashboardCommand(command.optsWithGlobals());
  });

program
  .command('route')
  .description('show where a task would go and why, without running it; --replay judges a policy on past tasks')
  .argument('[task]', 'the task text (not with --replay)')
  .option('--agent <name>', 'as run --agent would')
  .option('--explain', 'explain the choice (the default output)')
  .option('--json', 'print the decision (or the replay report) as JSON')
  .option('--replay', "replay the ledger's past routing decisions through the current policy (or --policy) and estimate its success")
  .option('--since <duration>', 'with --replay: only tasks submitted in this last stretch, e.g. 7d, 12h, 30m')
  .option('--policy <list>', 'with --replay: policies to evaluate, comma-separated: current (the learned policy as configured), static', 'current,static')
  .addHelpText(
    'after',
    examples([
      'lightning route "Write unit tests for the checkout React component"',
      'lightning route --json "Plot revenue by month"',
      'lightning route --replay --since 7d',
      'lightning route --replay --policy static --json',
    ]),
  )
  .action(async (task: string | undefined, _options, command: Command) => {
    const options = command.optsWithGlobals();
    if (options.replay) {
      const { replayCommand } = await import('./commands/route-replay.js');
      await replayCommand(task, options);
      return;
    }
    const { routeCommand } = await import('./commands/route.js');
    await routeCommand(task ?? '', options);
  });

program
  .command('stats')
  .description('per agent and kind of task: tasks, success rate, latency, share of traffic')
  .option('--since <duration>', 'only tasks submitted in this last stretch, e.g. 1h, 30m')
  .option('--json', 'print JSON')
  .addHelpText('after', examples(['lightning stats', 'lightning stats --since 1h --json']))
  .action(async (_options, command: Command) => {
    const { statsCommand } = await import('./commands/stats.js');
    await statsCommand(command.optsWithGlobals());
  });

program
  .command('feedback')
  .description('tell the router how a task went; it learns from it')
  .argument('<id>', 'task id, or a unique prefix of one')
  .argument('<rating>', 'good or bad')
  .option('--note <text>', 'why, in a few words')
  .addHelpText('after', examples(['lightning feedback 3f2a good', 'lightning feedback 3f2a bad --note "ignored the CSV header"']))
  .action(async (id: string, rating: string, _options, command: Command) => {
    const { feedbackCommand } = await import('./commands/feedback.js');
    await feedbackCommand(id, rating, command.optsWithGlobals());
  });

program
  .command('doctor')
  .description('check the set-up: Node, agents.yaml, ports, state directory, model endpoint and key, stale files')
  .option('--json', 'print the findings as JSON (nothing else on stdout)')
  .addHelpText('after', examples(['lightning doctor', 'lightning doctor --json', 'lightning -c prod/agents.yaml doctor']))
  .action(async (_options, command: Command) => {
    const { doctorCommand } = await import('./commands/doctor.js');
    await doctorCommand(command.optsWithGlobals());
  });

program
  .command('init')
  .description('create a project: agents.yaml with the six built-in agents, their prompts, the editor schema, .gitignore')
  .argument('[dir]', 'directory to set up, created if missing (default: the current directory)')
  .option('--force', 'overwrite files that already exist')
  .addHelpText('after', examples(['lightning init', 'lightning init my-fleet && cd my-fleet && lightning up -d']))
  .action(async (dir: string | undefined, options: { force?: boolean }) => {
    const { initCommand } = await import('./commands/init.js');
    await initCommand(dir, options);
  });

program
  .command('new')
  .description('scaffold something new in this project (new agent NAME)')
  .command('agent')
  .description('scaffold a custom agent in agents/NAME/ (Python or TypeScript) and add it to agents.yaml')
  .argument('<name>', 'agent name: a letter, then letters, digits, _ or -')
  .option('--lang <lang>', 'template: python (standard library only) or ts (node:http, no dependencies)', 'python')
  .option('--capabilities <list>', 'comma-separated words the router matches tasks against (default: the words of NAME)')
  .option('--port <port>', 'its port (default: the one after the highest in agents.yaml)')
  .option('--description <text>', 'what it does, in the words users type (the router reads it too)')
  .addHelpText('after', examples(['lightning new agent invoice_parser --capabilities invoice,receipt,pdf', 'lightning new agent summarizer --lang ts --port 9020 --description "Summarizes long reports"']))
  .action(async (name: string, _options, command: Command) => {
    const { newAgentCommand } = await import('./commands/new-agent.js');
    await newAgentCommand(name, command.optsWithGlobals());
  });

program
  .command('schema')
  .description('print the JSON Schema of agents.yaml (what agents.schema.json holds, for editors)')
  .addHelpText('after', examples(['lightning schema > agents.schema.json']))
  .action(async () => {
    const { schemaCommand } = await import('./commands/schema.js');
    await schemaCommand();
  });

program
  .command('completion')
  .description('print a shell completion script (commands, options, agent names)')
  .argument('<shell>', 'bash, zsh or fish')
  .addHelpText('after', examples(['source <(lightning completion bash)', 'lightning completion zsh > "${fpath[1]}/_lightning"', 'lightning completion fish > ~/.config/fish/completions/lightning.fish']))
  .action(async (shell: string) => {
    const { completionCommand } = await import('./commands/completion.js');
    await completionCommand(shell, program);
  });

program
  .command('worker')
  .description('run one built-in agent worker by hand; with --join it registers with a supervisor, possibly on another machine')
  .requiredOption('--agent <name>', 'agent from agents.yaml')
  .requiredOption('--port <port>', 'port to listen on (0 = any free port)')
  .option('--instance <i>', 'instance index', '0')
  .option('--host <host>', 'address to listen on (another machine needs a reachable one, e.g. 0.0.0.0)', '127.0.0.1')
  .option('--join <url>', "supervisor's control API to join (default: $LIGHTNING_SUPERVISOR when $LIGHTNING_JOIN_TOKEN is set)")
  .option('--token <token>', 'join token (default: $LIGHTNING_JOIN_TOKEN; it is in .lightning/join-token on the supervisor)')
  .option('--advertise <url>', 'URL the supervisor reaches this worker at (default: http://<host>:<port>)')
  .option('--lease <duration>', 'lease to hold; renewed every third of it', '15s')
  .addHelpText('after', examples([
    'LIGHTNING_JOIN_TOKEN=$(cat .lightning/join-token) lightning worker --agent qa_tester --port 9105 --join http://127.0.0.1:9000',
    'lightning worker --agent qa_tester --port 9105 --host 0.0.0.0 --advertise http://10.0.0.5:9105 --join http://10.0.0.2:9000 --token "$TOKEN"',
  ]))
  .action(async (_options, command: Command) => {
    const { workerCommand } = await import('./commands/worker.js');
    await workerCommand(command.optsWithGlobals());
  });

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** Parses argv and runs the command; commander's own outcomes (help, version, usage errors) end here. */
export async function runProgram(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version exit 0; commander already printed any usage error.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
}
