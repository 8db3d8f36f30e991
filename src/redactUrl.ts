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
  const rest = text.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const path = authorityEnd === -1 ? '' : rest.slice(authorityEnd).replace(/[?#].*$/s, '');
  const redacted = `${scheme[0]}${host}${path}`;
  return redacted === text ? text : `${redacted} (credentials and query hidden)`;
}
