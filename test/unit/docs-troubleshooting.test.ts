import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(ROOT, 'docs/troubleshooting.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * The literal text of a string or template literal starting at `start` (its quote), with `${…}`
 * expressions (nested templates included) replaced by a NUL; null when `start` is not a quote.
 */
function literalAt(source: string, start: number): string | null {
  const quote = source[start];
  if (quote !== "'" && quote !== '"' && quote !== '`') return null;
  let out = '';
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[++i]!;
      out += next === 'n' ? '\n' : next;
    } else if (c === quote) {
      return out;
    } else if (quote === '`' && c === '$' && source[i + 1] === '{') {
      i = skipExpression(source, i + 2);
      out += '\0';
    } else {
      out += c;
    }
  }
  return null;
}

/** Index of the `}` closing an expression that starts at `from`, skipping strings and templates in it. */
function skipExpression(source: string, from: number): number {
  let depth = 1;
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'" || c === '"' || c === '`') {
      for (let j = i + 1; j < source.length; j++) {
        if (source[j] === '\\') j++;
        else if (c === '`' && source[j] === '$' && source[j + 1] === '{') j = skipExpression(source, j + 2);
        else if (source[j] === c) {
          i = j;
          break;
        }
      }
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return source.length;
}

/**
 * What identifies a message on the page: its first literal run of 10+ characters (between
 * interpolations and line breaks), at most 40 characters, cut at a word boundary.
 */
function distinctiveText(literal: string): string | null {
  const run = literal.split(/[\0\n]/).map((part) => part.trim()).find((part) => part.length >= 10);
  if (run === undefined) return null;
  if (run.length <= 40) return run;
  const cut = run.slice(0, 40);
  return cut.slice(0, cut.lastIndexOf(' ') > 10 ? cut.lastIndexOf(' ') : 40).trimEnd();
}

interface RaisedMessage {
  where: string;
  text: string;
}

/** Every `new ExitError(<literal>…` in src/, as the distinctive text of its message. */
function exitErrorMessages(): RaisedMessage[] {
  const found: RaisedMessage[] = [];
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/new ExitError\(\s*/g)) {
      const start = match.index + match[0].length;
      const literal = literalAt(source, start);
      const text = literal === null ? null : distinctiveText(literal);
      if (text === null) continue; // a message passed through from elsewhere (error.message, the API's)
      const line = source.slice(0, start).split('\n').length;
      found.push({ where: `${path.relative(ROOT, file)}:${line}`, text });
    }
  }
  return found;
}

describe('docs/troubleshooting.md', () => {
  it('explains every error message the CLI raises (ExitError), by its distinctive text', () => {
    const messages = exitErrorMessages();
    expect(messages.length).toBeGreaterThan(40);
    const missing = messages.filter((message) => !doc.includes(message.text)).map((message) => `${message.where}: "${message.text}"`);
    expect(missing).toEqual([]);
  });

  it('reads messages the way they are written', () => {
    expect(distinctiveText('no supervisor running for \0\n  fix: start one')).toBe('no supervisor running for');
    expect(distinctiveText('\0 has \0 instance(s): use \0/0…/\0')).toBe('instance(s): use');
    // Longer than 40: cut before the word the 40th character falls in.
    expect(distinctiveText('the task is empty: lightning route "what the agent should do"')).toBe('the task is empty: lightning route');
    expect(distinctiveText('short \0 bits')).toBeNull();
    expect(literalAt('x `a ${`b ${c}`} d`', 2)).toBe('a \0 d');
  });
});
