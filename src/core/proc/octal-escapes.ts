/**
 * The kernel writes paths in mountinfo (and similar files) with space, tab, newline and
 * backslash as three-digit octal escapes: \040 \011 \012 \134.
 */
export interface DecodedEscapes {
  text: string;
  /** A backslash that did not start a valid escape: the kernel never writes one. */
  malformed: boolean;
}

const ESCAPE = /\\([0-7]{3})?/g;

export function decodeOctalEscapes(text: string): DecodedEscapes {
  let malformed = false;
  const decoded = text.replace(ESCAPE, (escape, digits: string | undefined) => {
    const code = digits === undefined ? undefined : Number.parseInt(digits, 8);
    if (code === undefined || code > 0o377) {
      malformed = true;
      return escape;
    }
    return String.fromCharCode(code);
  });
  return { text: decoded, malformed };
}
