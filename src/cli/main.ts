import { Command, CommanderError } from 'commander';
import { VERSION } from '../util/version.js';
import { EXIT, ExitError } from './exit-error.js';

/**
 * The command line: wiring only. Each verb lives in its own file under commands/ and is loaded
 * when used, so `lightning status` does not pay for what `lightning up` imports.
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
  .command('status')
  .alias('ps')
  .description('show every instance: state, pid, port, restarts, uptime, last exit')
  .option('--json', 'print the status document as JSON (nothing else on stdout)')
  .option('-w, --watch', 'redraw every second in place, with in-flight tasks and success rate (q to leave)')
  .addHelpText('after', examples(['lightning status', 'lightning status --watch', 'lightning status --json | jq ".agents[] | select(.state != \\"healthy\\")"']))
  .action(async (_options, command: Command) => {
    const { statusCommand } = await import('./commands/status.js');
    await statusCommand(command.optsWithGlobals());
  });

program
  .command('logs')
  .description("print an agent's logs (every instance, or NAME/i for one)")
  .argument('<name>', 'agent name, or NAME/i for instance i')
  .option('-n, --lines <n>', 'how many lines to show', '50')
  .option('-f, --follow', 'keep printing new lines, across restarts and rotation')
  .addHelpText('after', examples(['lightning logs web_developer', 'lightning logs web_developer/1 -n 200', 'lightning logs data_analyst -f']))
  .action(async (name: string, _options, command: Command) => {
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
  .option('--timeout <duration>', 'give up after this long (default: the agent\'s task.timeout)')
  .option('--json', 'print the result as JSON (nothing else on stdout)')
  .option('--detach', 'print the task id and return at once')
  .option('--no-autostart', 'fail (exit 3) instead of starting a supervisor when none runs')
  .addHelpText('after', examples(['lightning run "Build a responsive landing page in React"', 'lightning run --agent data_analyst "Summarise sales.csv" --json', 'lightning run --detach "Write end-to-end tests for checkout"']))
  .action(async (task: string, _options, command: Command) => {
    const { runCommand } = await import('./commands/run.js');
    await runCommand(task, command.optsWithGlobals());
  });

program
  .command('tasks')
  .description('list recent tasks, newest first')
  .option('--status <status>', 'only tasks in this state (completed, failed, cancelled, timeout, interrupted, running)')
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
  .argument('<id>', 'task id (from run or tasks)')
  .option('--json', 'print JSON')
  .addHelpText('after', examples(['lightning task 3f2a…']))
  .action(async (id: string, _options, command: Command) => {
    const { taskCommand } = await import('./commands/tasks.js');
    await taskCommand(id, command.optsWithGlobals());
  });

program
  .command('cancel')
  .description('cancel a running task')
  .argument('<id>', 'task id')
  .addHelpText('after', examples(['lightning cancel 3f2a…']))
  .action(async (id: string, _options, command: Command) => {
    const { cancelCommand } = await import('./commands/tasks.js');
    await cancelCommand(id, command.optsWithGlobals());
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
  .description('show where a task would go and why, without running it')
  .argument('<task>', 'the task text')
  .option('--agent <name>', 'as run --agent would')
  .option('--explain', 'explain the choice (the default output)')
  .option('--json', 'print the decision as JSON')
  .addHelpText('after', examples(['lightning route "Write unit tests for the checkout React component"', 'lightning route --json "Plot revenue by month"']))
  .action(async (task: string, _options, command: Command) => {
    const { routeCommand } = await import('./commands/route.js');
    await routeCommand(task, command.optsWithGlobals());
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
  .argument('<id>', 'task id')
  .argument('<rating>', 'good or bad')
  .option('--note <text>', 'why, in a few words')
  .addHelpText('after', examples(['lightning feedback 3f2a… good', 'lightning feedback 3f2a… bad --note "ignored the CSV header"']))
  .action(async (id: string, rating: string, _options, command: Command) => {
    const { feedbackCommand } = await import('./commands/feedback.js');
    await feedbackCommand(id, rating, command.optsWithGlobals());
  });

program
  .command('worker', { hidden: true })
  .description('run the built-in agent worker (the supervisor starts these)')
  .requiredOption('--agent <name>', 'agent from agents.yaml')
  .requiredOption('--port <port>', 'port to listen on (0 = any free port)')
  .option('--instance <i>', 'instance index', '0')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .action(async (_options, command: Command) => {
    const { workerCommand } = await import('./commands/worker.js');
    await workerCommand(command.optsWithGlobals());
  });

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = await exitCodeFor(error);
  }
}

/** Only this layer prints errors and picks exit codes. */
async function exitCodeFor(error: unknown): Promise<number> {
  if (error instanceof CommanderError) {
    // Help and version exit 0; commander already printed any usage error.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ExitError) {
    process.stderr.write(`lightning: ${error.message}\n`);
    return error.exitCode;
  }
  const { ConfigError } = await import('../config/errors.js');
  if (error instanceof ConfigError) {
    process.stderr.write(`lightning: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`lightning: unexpected error (a bug; please report it)\n${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.failed;
}

await main(process.argv);
