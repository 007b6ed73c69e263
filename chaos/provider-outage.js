// Chaos (e): providers that fail over. The agents have two model providers (provider: a list);
// the primary answers HTTP 500 for a while under load, then recovers. Tasks must complete on the
// secondary meanwhile, the primary must be put aside (cooling, shown in status) rather than hit by
// every call, every switch must be counted in /metrics, and the primary must carry the traffic
// again once its cooldown ends after the recovery.
import { auditLedger, readLedger } from './ledger.js';
import { bar, controlApi, down, makeProject, pct, runLoad, sleep, up } from './lib.js';
import { startChaosModel } from './model.js';

/** The cooldown the workers apply (PROVIDER_COOLDOWN.cooldownMs, src/config/defaults.ts). */
const COOLDOWN_MS = 5_000;

function twoProviderFleet({ primary, secondary, instances }) {
  return `version: 1
supervisor: { port: 0 }
defaults:
  model: chaos-model
  provider:
    - { baseURL: "${primary}" }
    - { baseURL: "${secondary}", model: chaos-backup }
  stop: { grace: 500ms }
  task: { timeout: 30s, retries: 2 }
agents:
  general_assistant:
    port: 0
    instances: ${instances}
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`;
}

async function failoverCount(info) {
  const response = await fetch(`${info.api}/metrics`, { headers: { authorization: `Bearer ${info.token}` } });
  const text = await response.text();
  return [...text.matchAll(/^lightning_provider_failovers_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

export async function providerOutage({ concurrency = 20, warmup = 100, outageMs = 10_000, afterMs = 8_000, instances = 2, modelDelayMs = 20, log = () => undefined } = {}) {
  const [primary, secondary] = await Promise.all([startChaosModel({ delayMs: modelDelayMs }), startChaosModel({ delayMs: modelDelayMs })]);
  const dir = makeProject(twoProviderFleet({ primary: primary.url, secondary: secondary.url, instances }));
  let api = null;
  try {
    const info = await up(dir);
    api = controlApi(info, concurrency + 8);
    const before = (await api.status()).agents;
    log(`fleet up: ${instances} instance(s), two providers; load at concurrency ${concurrency}; the primary answers 500 for ${outageMs} ms after ${warmup} results, the load goes on ${afterMs} ms after it recovers`);

    let answered = 0;
    let outageAt = Infinity;
    let recoveredAt = Infinity;
    let outage = Promise.resolve();
    let coolingSeen = null;
    let tailFrom = null;
    const onResult = () => {
      answered += 1;
      if (answered !== warmup) return;
      primary.setMode('error');
      outageAt = Date.now();
      outage = (async () => {
        // Mid-outage: status must show the primary put aside on some instance.
        await sleep(Math.min(3_000, outageMs / 2));
        const document = await api.status();
        coolingSeen = document.agents.flatMap((agent) => (agent.cooling ?? []).map((entry) => `${agent.name}#${agent.instance}: ${entry.provider}`));
        await sleep(outageMs - Math.min(3_000, outageMs / 2));
        primary.setMode('ok');
        recoveredAt = Date.now();
        // From one cooldown (plus a probe's slack) after the recovery, the primary should carry it all.
        await sleep(COOLDOWN_MS + 1_000);
        tailFrom = { primary: primary.counts.ok, secondary: secondary.counts.ok };
      })();
    };
    const end = { primary: 0, secondary: 0 };
    const results = await runLoad(api, { total: 1_000_000, concurrency, onResult, stop: () => Date.now() >= recoveredAt + afterMs });
    await outage;
    Object.assign(end, { primary: primary.counts.ok, secondary: secondary.counts.ok });

    const after = (await api.status()).agents;
    const restarted = after.filter((agent) => {
      const was = before.find((candidate) => candidate.instance === agent.instance);
      return !was || was.pid !== agent.pid || was.restarts !== agent.restarts;
    });
    const failovers = await failoverCount(info);
    const audit = auditLedger(readLedger(dir).events);
    const failed = results.filter((result) => result.status !== 'completed');
    const during = results.filter((result) => result.started >= outageAt && result.ended <= recoveredAt);
    const duringOk = during.filter((result) => result.status === 'completed');
    const tail = tailFrom ? { primary: end.primary - tailFrom.primary, secondary: end.secondary - tailFrom.secondary } : { primary: 0, secondary: 0 };
    const tailShare = pct(tail.primary, tail.primary + tail.secondary);

    return {
      name: 'a model provider answers 500 for a while under load (two providers)',
      figures: {
        tasks: results.length,
        'outage of the primary (ms)': outageMs,
        'tasks within the outage': `${during.length}, ${pct(duringOk.length, during.length).toFixed(2)} % completed`,
        'primary answers 500 (calls that reached it during the outage)': primary.counts.error,
        'failovers counted (lightning_provider_failovers_total)': failovers,
        'status mid-outage showed cooling': coolingSeen?.length ? coolingSeen.join('; ') : 'nothing',
        [`calls ${Math.round((COOLDOWN_MS + 1000) / 1000)} s after the recovery on the primary`]: `${tail.primary} of ${tail.primary + tail.secondary} (${tailShare.toFixed(1)} %)`,
        'workers restarted': restarted.length,
        ...(failed[0] ? { 'a failed task says': failed[0].error } : {}),
      },
      bars: [
        bar('the outage was real (the primary answered 500)', primary.counts.error > 0, `${primary.counts.error} × 500`),
        bar('every task completed', failed.length === 0 && results.length > 0, `${results.length - failed.length}/${results.length}`),
        bar('tasks within the outage completed on the secondary', during.length > 0 && duringOk.length === during.length && secondary.counts.ok > 0, `${duringOk.length}/${during.length}`),
        bar('the primary was put aside, not hit by every call', primary.counts.error < during.length, `${primary.counts.error} calls reached it for ${during.length} tasks`),
        bar('every switch counted in /metrics', failovers > 0 && failovers >= primary.counts.error, `${failovers} failovers for ${primary.counts.error} × 500`),
        bar('status showed the cooling provider mid-outage', (coolingSeen?.length ?? 0) > 0, coolingSeen?.length ? coolingSeen[0] : 'nothing'),
        bar('the primary is used again after the recovery', tail.primary > 0, `${tail.primary} calls`),
        bar('one cooldown after the recovery, ≥ 95 % of calls on the primary', tail.primary + tail.secondary > 0 && tailShare >= 95, `${tailShare.toFixed(1)} %`, true),
        bar('no worker was restarted for the provider\'s fault', restarted.length === 0, restarted.map((agent) => `${agent.name}#${agent.instance}`).join(', ') || 'none'),
        bar('every task reached a terminal state, none twice', audit.submitted === results.length && audit.unfinished.length === 0 && audit.duplicated.length === 0, `${audit.unfinished.length} unfinished, ${audit.duplicated.length} twice`),
      ],
    };
  } finally {
    await api?.close();
    await down(dir);
    await Promise.all([primary.close(), secondary.close()]);
  }
}
