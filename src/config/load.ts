/**
 * Finding, parsing, validating and resolving agents.yaml. Every failure is a ConfigError that
 * names file:line:col (via the YAML node the problem belongs to) and says how to fix it. When a
 * file has several problems the one earliest in the file is reported, so the answer is stable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { ConfigError } from './errors.js';
import { describeIssue } from './issues.js';
import { configSchema } from './schema.js';
import { checkConfig, resolveConfig } from './resolve.js';
import type { LightningConfig } from './types.js';

import { NOT_FOUND_HINT } from './find.js';

export { findConfigPath } from './find.js';

/** A place in the file; offset orders problems, line/col (1-based) are shown. */
export interface Place {
  offset: number;
  line: number;
  col: number;
}

/** Maps document paths (as zod reports them) to positions in the source text. */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private place(node: Node | null | undefined): Place | null {
    const offset = node?.range?.[0];
    if (offset === undefined) return null;
    const { line, col } = this.lines.linePos(offset);
    return { offset, line, col };
  }

  private step(node: unknown, seg: PropertyKey): { key: Node | null; value: Node | null } | null {
    // Follow aliases so a problem inside an anchored block points at the anchor's text.
    const target = isAlias(node) ? node.resolve(this.doc) : node;
    if (isMap(target)) {
      for (const pair of target.items) {
        const k: unknown = pair.key;
        if (String(isScalar(k) ? k.value : k) === String(seg)) {
          return { key: isNode(k) ? k : null, value: isNode(pair.value) ? pair.value : null };
        }
      }
    } else if (isSeq(target) && typeof seg === 'number') {
      const item: unknown = target.items[seg];
      if (item !== undefined) return { key: null, value: isNode(item) ? item : null };
    }
    return null;
  }

  /** The YAML node holding the value at `path`, or null. */
  nodeAt(path: readonly PropertyKey[]): Node | null {
    let node: Node | null = this.doc.contents;
    for (const seg of path) {
      const next = this.step(node, seg);
      if (next === null) return null;
      node = next.value;
    }
    return node;
  }

  /**
   * Where to point for `path`: its key or its value; an empty value points at its key; a missing
   * key points at the key of the nearest mapping that does exist (e.g. the agent's name).
   */
  at(path: readonly PropertyKey[], at: 'key' | 'value'): Place {
    let node: Node | null = this.doc.contents;
    let key: Node | null = null;
    for (const seg of path) {
      const next = this.step(node, seg);
      if (next === null) return this.place(key ?? node) ?? { offset: 0, line: 1, col: 1 };
      key = next.key ?? key;
      node = next.value;
    }
    const emptyValue = node === null || (isScalar(node) && node.value === null);
    const target = at === 'key' || emptyValue ? (key ?? node) : node;
    return this.place(target) ?? { offset: 0, line: 1, col: 1 };
  }
}

function yamlHint(code: string): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'indent with spaces; YAML does not allow tabs for indentation';
    case 'DUPLICATE_KEY':
      return 'a key may appear only once in a mapping; remove or merge the duplicate';
    case 'MULTIPLE_DOCS':
      return 'keep a single document in the file (remove the extra ---)';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'check the indentation and that every quote and bracket is closed';
    default:
      return 'fix the YAML here; quote values that contain ": " or start with a special character';
  }
}

interface Located {
  place: Place | null;
  problem: string;
  hint: string | null;
}

/** The earliest problem in the file; unplaced problems come last, ties keep check order. */
export function firstProblem(problems: readonly Located[]): Located | undefined {
  return [...problems].sort(
    (a, b) => (a.place?.offset ?? Number.MAX_SAFE_INTEGER) - (b.place?.offset ?? Number.MAX_SAFE_INTEGER),
  )[0];
}

function fail(file: string, p: Located): never {
  throw new ConfigError({ file, line: p.place?.line ?? null, col: p.place?.col ?? null, problem: p.problem, hint: p.hint });
}

/** Reads, validates and resolves one agents.yaml. Throws ConfigError on any problem. */
export function loadConfig(file: string): LightningConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError({
      file: abs,
      problem: code === 'ENOENT' ? `config file not found: ${abs}` : `cannot read config file: ${(err as Error).message}`,
      hint: code === 'ENOENT' ? NOT_FOUND_HINT : 'check the file exists and is readable',
    });
  }

  const lines = new LineCounter();
  // prettyErrors off: the message stays one clean sentence and the position comes from the
  // LineCounter, in the same form as every other error.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = firstProblem(
    doc.errors.map((e) => {
      const offset = e.pos[0];
      const { line, col } = lines.linePos(offset);
      return { place: { offset, line, col }, problem: `YAML syntax error: ${e.message}`, hint: yamlHint(e.code) };
    }),
  );
  if (syntax) fail(abs, syntax);

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    fail(abs, {
      place: null,
      problem: 'the config file is empty',
      hint: 'start it with `version: 1` and an `agents:` section; see agents.yaml in the lightning package',
    });
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    fail(abs, { place: null, problem: `cannot read YAML: ${(err as Error).message}`, hint: 'simplify the anchors and aliases' });
  }

  const locator = new Locator(doc, lines);
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const reports = parsed.error.issues.flatMap((issue) => describeIssue(issue, data));
    const first = firstProblem(reports.map((r) => ({ place: locator.at(r.path, r.at), problem: r.problem, hint: r.hint })));
    if (first) fail(abs, first);
    fail(abs, { place: null, problem: parsed.error.message, hint: null });
  }

  const config = resolveConfig(parsed.data, abs, locator);
  const problem = firstProblem(checkConfig(config, parsed.data, locator));
  if (problem) fail(abs, problem);
  return config;
}

export type { Located };
