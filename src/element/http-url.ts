/**
 * The one check every link the element and the hosted page render goes through: only an http(s)
 * URL becomes an `href`. The server already refuses anything else (`success_url`, `cancel_url`,
 * `explorer_url`); checking again here means a `javascript:`, `data:` or `vbscript:` URL from a
 * compromised or misconfigured backend renders no link rather than a script.
 * @module
 */

/**
 * `url` when it is an absolute http(s) URL, else `null` (render no link).
 * @example httpUrl('https://shop.example/thanks') // 'https://shop.example/thanks'
 * @example httpUrl('javascript:alert(1)') // null
 */
export function httpUrl(url: string | null | undefined): string | null {
  // The raw text must start with the scheme: browsers drop leading spaces and control characters
  // and tabs or newlines inside a scheme, so testing a parsed URL alone would not be enough.
  if (!url || !/^https?:\/\//i.test(url) || !URL.canParse(url)) return null;
  return url;
}
