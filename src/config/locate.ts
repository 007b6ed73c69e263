/**
 * Where in agents.yaml a problem is: positions of the document's nodes, for file:line:col errors.
 * Its own file so that loading (load.ts) and resolving (resolve.ts) share it without a cycle.
 */
import { isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';

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

/** A problem and where it is. */
export interface Located {
  place: Place | null;
  problem: string;
  hint: string | null;
}
