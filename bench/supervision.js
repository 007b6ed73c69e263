// Cold `up -d` → all six healthy, and SIGKILL → healthy again. Targets: ≤ 0.6 s and ≤ 250 ms.
import { getStatus, lightning, median, sixAgentProject, summary, supervisorInfo } from './lib.js';

const COLD_RUNS = 5;
// One kill per agent: each is the first crash of its streak, which restarts at once.
const KILL_RUNS = 6;

export async function run({ floor }) {
  const cold = [];
  for (let i = 0; i < COLD_RUNS; i += 1) {
    const dir = sixAgentProject();
    cold.push(lightning(dir, ['up', '-d']).ms);
    lightning(dir, ['down']);
  }
  const ratio = (median(cold) / floor).toFixed(1);
  console.log(`cold up -d → 6 agents healthy: ${summary(cold)} = ${ratio}× node start  [target ≤ 600 ms ≈ 13× a 46 ms node start]`);

  const dir = sixAgentProject();
  lightning(dir, ['up', '-d']);
  const info = supervisorInfo(dir);
  const recover = [];
  try {
    for (let i = 0; i < KILL_RUNS; i += 1) {
      const before = await getStatus(info);
      const victim = before.agents[i % before.agents.length];
      const started = performance.now();
      process.kill(victim.pid, 'SIGKILL');
      for (;;) {
        const now = (await getStatus(info)).agents.find((agent) => agent.name === victim.name);
        if (now.state === 'healthy' && now.pid !== victim.pid) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      recover.push(performance.now() - started);
    }
  } finally {
    lightning(dir, ['down']);
  }
  console.log(`SIGKILL → healthy again (new pid): ${summary(recover)}  [target ≤ 250 ms]`);
  return { cold, recover };
}
