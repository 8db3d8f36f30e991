import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The search page: plain HTML and JavaScript against the HTTP API, nothing loaded from elsewhere. */
export const SEARCH_PAGE = readFileSync(new URL('./searchPage.html', import.meta.url), 'utf8');

/** The CSP source of each inline `<tag>` of the page, by its hash: only those exact blocks may run. */
function inlineHashes(tag: 'script' | 'style'): string {
  const blocks = [...SEARCH_PAGE.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  return blocks.map(([, body]) => `'sha256-${createHash('sha256').update(body ?? '', 'utf8').digest('base64')}'`).join(' ');
}

/**
 * The page's Content-Security-Policy: its own inline script and style and calls to this origin,
 * nothing else — no script from another origin, no injected inline script, no framing.
 */
export const SEARCH_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${inlineHashes('script')}`,
  `style-src ${inlineHashes('style')}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
