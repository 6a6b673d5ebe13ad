/** Tokens never reach a log, an error message, a comment or a plan file. */

const TOKEN_PATTERNS = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // classic and fine-grained personal, OAuth, app and refresh tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(authorization:\s*(?:token|bearer)\s+)\S+/gi,
  /(https?:\/\/[^:/\s]+:)[^@/\s]+(?=@)/g, // user:password@ in URLs
];

/** Replace every given secret and anything shaped like a GitHub token with "***". */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  for (const re of TOKEN_PATTERNS) out = out.replace(re, (_m, keep: unknown) => (typeof keep === 'string' ? `${keep}***` : '***'));
  return out;
}
