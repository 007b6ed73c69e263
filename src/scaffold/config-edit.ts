/**
 * Adds one agent to agents.yaml without disturbing the rest of the file. The edit is made with the
 * yaml library's Document API (parse → add the pair → render), which keeps comments and order;
 * its rendering also normalises some spacing (`health:  {` → `health: {`), so the new entry's
 * rendered text is spliced in after the last agent instead, leaving every existing byte as it
 * was. The splice is accepted only if it parses to exactly what the Document edit means; if not
 * (an unusual layout, e.g. a flow-style `agents: {…}`), the Document's own rendering is used.
 */
import { isDeepStrictEqual } from 'node:util';
import { Document, LineCounter, YAMLMap, isMap, isScalar, parseDocument } from 'yaml';
import type { Node, Pair } from 'yaml';
import { DEFAULT_SUPERVISOR } from '../config/defaults.js';

/** What `lightning new agent` writes for an agent, in agents.yaml's own terms. */
export interface AgentEntry {
  name: string;
  port: number;
  description: string;
  capabilities: string[];
  command: string[];
}

const RENDER = { lineWidth: 0, flowCollectionPadding: false } as const;

/** The parsed file, or the YAML syntax problem that stops any edit. */
export function parseConfigText(text: string): Document.Parsed {
  return parseDocument(text, { uniqueKeys: true, prettyErrors: false });
}

/** Names under `agents:` in file order (empty when there is no such mapping). */
export function agentNames(doc: Document.Parsed): string[] {
  const agents = doc.get('agents', true);
  return isMap(agents) ? agents.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : [];
}

/**
 * The port after the highest one the file uses (agents' last instance, the supervisor's), or 0
 * when the file puts every agent on port 0 (free ports picked at spawn): the new one follows suit.
 */
export function nextFreePort(doc: Document.Parsed): number {
  const js = (doc.toJS() ?? {}) as { supervisor?: { port?: unknown } | null; agents?: Record<string, { port?: unknown; instances?: unknown } | null> | null };
  const agentPorts = Object.values(js.agents ?? {}).flatMap((agent) => {
    const port = agent?.port;
    if (typeof port !== 'number' || !Number.isInteger(port)) return [];
    const instances = typeof agent?.instances === 'number' && agent.instances > 1 ? agent.instances : 1;
    return port === 0 ? [0] : [port + instances - 1];
  });
  if (agentPorts.length > 0 && agentPorts.every((port) => port === 0)) return 0;
  const supervisorPort = typeof js.supervisor?.port === 'number' ? js.supervisor.port : DEFAULT_SUPERVISOR.port;
  return Math.max(supervisorPort, ...agentPorts) + 1;
}

/** agents.yaml's text with `entry` added as the last agent. */
export function addAgentEntry(text: string, entry: AgentEntry): string {
  const doc = parseConfigText(text);
  const value = entryNode(doc, entry);
  let agents = doc.get('agents', true);
  if (!isMap(agents)) {
    agents = new YAMLMap();
    doc.set('agents', agents);
  }
  const lastBefore = (agents as YAMLMap).items.at(-1) as Pair<Node, Node> | undefined;
  (agents as YAMLMap).add(doc.createPair(entry.name, value));
  const meant = doc.toJS() as unknown;
  const spliced = lastBefore && isMap(agents) && !agents.flow ? splice(text, lastBefore, entry, value) : null;
  if (spliced !== null && isDeepStrictEqual(parseConfigText(spliced).toJS(), meant)) return spliced;
  return doc.toString(RENDER);
}

function entryNode(doc: Document, entry: AgentEntry): Node {
  const node = doc.createNode({
    port: entry.port,
    description: entry.description,
    capabilities: entry.capabilities,
    command: entry.command,
  }) as YAMLMap;
  for (const key of ['capabilities', 'command']) {
    const list = node.get(key, true) as { flow?: boolean } | undefined;
    if (list) list.flow = true;
  }
  return node;
}

/** Inserts the rendered entry on the line after the last agent's value, at that agent's indent. */
function splice(text: string, last: Pair<Node, Node>, entry: AgentEntry, value: Node): string | null {
  const keyStart = last.key?.range?.[0];
  const valueEnd = last.value?.range?.[2];
  if (keyStart === undefined || valueEnd === undefined) return null;
  const lines = new LineCounter();
  parseDocument(text, { lineCounter: lines });
  const keyIndent = lines.linePos(keyStart).col - 1;
  const inner = isMap(last.value) && !last.value.flow ? last.value.items[0]?.key : null;
  const innerStart = (inner as Node | null | undefined)?.range?.[0];
  const step = innerStart === undefined ? 2 : Math.max(1, lines.linePos(innerStart).col - 1 - keyIndent);

  const rendered = new Document({ [entry.name]: null });
  rendered.set(entry.name, value);
  const block = rendered
    .toString({ ...RENDER, indent: step })
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => ' '.repeat(keyIndent) + line)
    .join('\n');

  // Insert at the start of the line after the last value (past any comment that shares its line).
  let at = valueEnd;
  if (at > 0 && text[at - 1] !== '\n') {
    const eol = text.indexOf('\n', at);
    at = eol === -1 ? text.length : eol + 1;
  }
  const before = text.slice(0, at);
  return `${before}${before.endsWith('\n') || before === '' ? '' : '\n'}${block}\n${text.slice(at)}`;
}
