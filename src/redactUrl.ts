/**
 * A URL as messages and logs print it: without user name and password, query and fragment —
 * the places credentials and tokens hide (`https://user:secret@host/graphql?token=…`). Text that
 * is not a URL is returned unchanged; text that starts like one but does not parse (a bad port,
 * say) loses the same parts by pattern.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUnparsable(url);
  }
  const hidden = parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '';
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return hidden ? `${parsed.toString()} (credentials and query hidden)` : parsed.toString();
}

/** Every URL inside a message (an error from a client library) redacted. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>),]+/g, (url) => redactUrl(url));
}

/** `scheme://user:password@host…?query#fragment` without the user part, query and fragment, when URL cannot parse it. */
function redactUnparsable(text: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  if (scheme === null) return text;
  // A password may hold '/', '?' or '#' (a base64 token): everything up to the last '@' goes, even
  // when that '@' was in the path (over-redacting is the safe side), then the query and fragment.
  const rest = text.slice(scheme[0].length);
  const redacted = `${scheme[0]}${rest.slice(rest.lastIndexOf('@') + 1).replace(/[?#].*$/s, '')}`;
  return redacted === text ? text : `${redacted} (credentials and query hidden)`;
}
