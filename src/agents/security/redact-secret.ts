// Shorter matches are too common to cut out of a message without mangling it; a multi-line match
// (a private key) is also cut out line by line, where lines of 12 or more characters are key material.
const MIN_MATCH = 6;
const MIN_PART = 12;
// A long token of letters and digits in a finding's message is a credential until shown otherwise.
const LONG_TOKEN = /[A-Za-z0-9+/=_\-.:@]{20,}/g;

/**
 * A secret finding's message with the secret masked again: secretlint masks its own messages
 * (`found AWS Secret Access Key: ****…`), but a rule that forgets must not leak the value into
 * logs, stage data or SARIF. Cuts out the matched text, collapses runs of `*` (their length gives
 * the secret's length away) and masks any long mixed letter-digit token left.
 */
export function redactSecret(message: string, matched: string): string {
  let m = message;
  if (matched.length >= MIN_MATCH) m = m.split(matched).join("****");
  for (const part of matched.split(/\s+/)) {
    if (part.length >= MIN_PART) m = m.split(part).join("****");
  }
  m = m.replace(/\*{4,}/g, "****");
  return m.replace(LONG_TOKEN, (tok) => (/[A-Za-z]/.test(tok) && /\d/.test(tok) ? "****" : tok));
}
