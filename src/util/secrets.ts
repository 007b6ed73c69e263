/** Secrets shorter than this are not redacted: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 8;
export const REDACTED = '[redacted]';

/**
 * The supervisor's one redaction service: every value that must never leave it (API keys from the
 * environment and `.env`, its tokens), replaced wherever text leaves — the ledger, the logs it
 * writes, the control API's responses. Values come in named groups so each owner replaces its own
 * (the `.env` group is rebuilt on every reload and restart; the tokens are set once).
 */
export class Secrets {
  private readonly groups = new Map<string, readonly string[]>();
  /** Every form a secret may take in text, longest first (so one containing another goes whole). */
  private forms: string[] = [];

  constructor(values: Iterable<string | null | undefined> = []) {
    this.set('initial', values);
  }

  /** Replaces the group's values. */
  set(group: string, values: Iterable<string | null | undefined>): void {
    this.groups.set(group, [...values].filter((value): value is string => typeof value === 'string' && value.length >= MIN_SECRET_LENGTH));
    const forms = new Set<string>();
    for (const list of this.groups.values()) {
      for (const secret of list) {
        forms.add(secret);
        // A secret with quotes, backslashes or control characters appears escaped in JSON text.
        forms.add(JSON.stringify(secret).slice(1, -1));
      }
    }
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.forms.length === 0;
  }

  /** True if the text holds any secret, in any form. */
  appearsIn(text: string): boolean {
    return this.forms.some((form) => text.includes(form));
  }

  /** The text with every secret replaced by [redacted]. */
  redact(text: string): string {
    for (const form of this.forms) if (text.includes(form)) text = text.split(form).join(REDACTED);
    return text;
  }

  /** A JSON text of `value` with every secret redacted, still valid JSON whatever a secret holds. */
  json(value: unknown): string {
    const text = JSON.stringify(value);
    if (!this.appearsIn(text)) return text;
    // Redacting inside string values keeps the text valid JSON; the pass over the whole text after
    // catches a secret in a key or spanning JSON syntax: better a broken line than a leak.
    return this.redact(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? this.redact(item) : item)));
  }
}
