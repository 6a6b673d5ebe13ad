/**
 * Escaping of user-provided strings (names, reasons, messages) for a GitHub comment, so that a name
 * cannot open a tag, end a table cell, start a code span, mention someone or break a fence.
 */

/** Control characters and line breaks become spaces: a cell or list item stays on one line. */
const oneLine = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');

/** `@` followed by a zero-width space: shown as written, but never a mention that notifies anyone (as Renovate does). */
const noMention = (s: string) => s.replace(/@/g, '@&#8203;');

const MD_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '@': '@&#8203;' };
for (const ch of '\\`*_[]|~$#!') MD_ESCAPES[ch] = `\\${ch}`;
// eslint-disable-next-line no-control-regex
const MD_SPECIAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029&<>@\\`*_[\]|~$#!]/g;

/** Text for markdown (paragraphs, list items, table cells): HTML-escaped, markdown punctuation backslash-escaped, in one pass. */
export function escapeMd(s: string): string {
  return s.replace(MD_SPECIAL, (ch) => MD_ESCAPES[ch] ?? ' ');
}

/** Text inside raw HTML (a `<summary>`), where markdown is not processed. */
export function escapeHtml(s: string): string {
  return noMention(oneLine(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
}

/** A code span that holds any text, backticks included (CommonMark: a longer fence, padded with spaces). Not for table cells. */
export function codeSpan(s: string): string {
  const text = oneLine(s);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || text.startsWith(' ') || text.endsWith(' ') ? ' ' : '';
  return text === '' ? '` `' : `${fence}${pad}${text}${pad}${fence}`;
}

/** A link to the full plan when the URL is http(s); anything else is shown as code. */
export function linkOrCode(label: string, url: string): string {
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return `${escapeMd(label)} (${codeSpan(url)})`;
  const dest = url.replace(/[<>()[\]"'` ]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${escapeMd(label)}](${dest})`;
}

/** Thousands separators, independent of the locale: 20000 → "20,000". */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
