/** Quotes one word for `sh -c` (the executor's shell): single quotes, embedded ones escaped. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
