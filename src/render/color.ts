/** ANSI colour, on only when asked for (TTY and no NO_COLOR: decided by the CLI). */
export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export const COLOR: Palette = { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
const id = (s: string) => s;
export const PLAIN: Palette = { red: id, yellow: id, green: id, cyan: id, dim: id, bold: id };

/** Colour for a stream: off with NO_COLOR, on with FORCE_COLOR, else when it is a TTY. */
export function paletteFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Palette {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return PLAIN;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return COLOR;
  return stream.isTTY ? COLOR : PLAIN;
}
