/** Secrets shorter than this are not redacted: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 8;
export const REDACTED = '[redacted]';

/** A function replacing every occurrence of the given secrets in a text. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  return (text) => {
    for (const secret of forms) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
    return text;
  };
}
