/**
 * A URL as messages and logs print it: without user name and password, query and fragment —
 * the places credentials and tokens hide (`https://user:secret@host/graphql?token=…`). Text that
 * is not a URL is returned unchanged.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
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
