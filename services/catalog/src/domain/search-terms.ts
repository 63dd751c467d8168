/**
 * Search without a text index: every show stores the normalized words of its title, venue and
 * tags, and a query matches when each of its words is the prefix of one of them.
 */

const NOT_A_WORD = /[^\p{L}\p{N}]+/u;
const MAX_TERM_LENGTH = 40;

/** Lower case, accents folded ("Zürich" → "zurich", "Beyoncé" → "beyonce"). */
export function foldText(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** The distinct folded words of a text, in order of appearance. */
export function wordsOf(text: string): string[] {
  const words = foldText(text)
    .split(NOT_A_WORD)
    .filter((word) => word.length > 0)
    .map((word) => word.slice(0, MAX_TERM_LENGTH));
  return [...new Set(words)];
}

export function searchTermsOf(show: {
  title: string;
  venue: { name: string; city: string };
  tags: readonly string[];
}): string[] {
  return wordsOf([show.title, show.venue.name, show.venue.city, ...show.tags].join(" "));
}
