// A minimal supervisor keeping lightning's contract: take `POST /v1/tasks`, send it on as
// one A2A `message/send` to the next of the given workers (round robin, a keep-alive undici Pool
// each — the stack lightning's supervisor uses), append the task's end to a ledger file durably
// (O_DSYNC, group-committed: one write for whatever ended while the last write was on its way) and
// then answer with the worker's outcome — the contract's "a task's end is on disk before its answer".
// No routing, no other records, no index, no metrics, no redaction. Measured beside the supervisor
// (bench/tasks.js): its CPU per task and the latency it adds are what the same job costs Node on
// this machine with nothing of lightning's own. (Its one durable write per batch is simpler than
// the ledger writer's, which gathers a turn of the event loop: lightning's latency and throughput
// can come out better than its.)
// `node bench/bare-proxy.js LEDGER_FILE WORKER_TOKEN PORT...`; prints the port it listens on.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { Pool } from 'undici';

const [ledgerFile, token, ...ports] = process.argv.slice(2);
const pools = ports.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: 256, pipelining: 1 }));
let next = 0;

const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = fs.constants;
const ledger = fs.openSync(ledgerFile, O_WRONLY | O_APPEND | O_CREAT | O_DSYNC, 0o600);
let queue = [];
let writing = false;

/** Resolves once `line` is on disk; lines that come while a write is on its way go in the next one. */
function appendDurably(line) {
  return new Promise((resolve, reject) => {
    queue.push({ line, resolve, reject });
    if (!writing) writeQueue();
  });
}

function writeQueue() {
  writing = true;
  const batch = queue;
  queue = [];
  fs.write(ledger, batch.map((pending) => pending.line).join(''), null, 'utf8', (error) => {
    for (const pending of batch) if (error) pending.reject(error); else pending.resolve();
    if (queue.length > 0) writeQueue();
    else writing = false;
  });
}

async function forward(input) {
  const id = randomUUID();
  const sequence = next++;
  const message = { kind: 'message', messageId: id, role: 'user', parts: [{ kind: 'text', text: input }], metadata: { lightning: { taskId: id, outcomeOnly: true } } };
  const response = await pools[sequence % pools.length].request({
    path: '/a2a/jsonrpc',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: sequence, method: 'message/send', params: { message, configuration: { blocking: true, historyLength: 0 } } }),
  });
  const answer = JSON.parse(await response.body.text());
  const outcome = answer.result?.metadata?.lightning?.outcome;
  const task = { id, status: outcome?.status ?? 'failed', output: outcome?.output ?? null, error: outcome?.error ?? answer.error?.message ?? null };
  await appendDurably(`${JSON.stringify({ ts: new Date().toISOString(), taskId: id, ...task })}\n`);
  return task;
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    forward(JSON.parse(Buffer.concat(chunks).toString('utf8')).input).then(
      (task) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(task));
      },
      (error) => {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'failed', error: error.message }));
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
// Gone with the benchmark that started it, however that ended: its end of stdin closes.
process.stdin.on('end', () => process.exit(0)).resume();
