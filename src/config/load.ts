/**
 * Finding, parsing, validating and resolving agents.yaml. Every failure is a ConfigError that
 * names file:line:col (via the YAML node the problem belongs to) and says how to fix it. When a
 * file has several problems the one earliest in the file is reported, so the answer is stable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, isScalar, parseDocument } from 'yaml';
import { Locator } from './locate.js';
import type { Located } from './locate.js';
import { ConfigError } from './errors.js';
import { describeIssue } from './issues.js';
import { configSchema } from './schema.js';
import { checkConfig, resolveConfig } from './resolve.js';
import type { LightningConfig } from './types.js';

import { NOT_FOUND_HINT } from './find.js';

export { findConfigPath } from './find.js';

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

