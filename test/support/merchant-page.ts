/**
 * The merchant page as a browser sees it: sign in with a secret key over HTTP, read the page, and
 * take the rows of one of its sections — for tests that check what a finance person is shown.
 * @module
 */
import assert from 'node:assert/strict';

/**
 * The merchant page's HTML at `apiUrl`, signed in with `secretKey` (a fresh session each call).
 * @example const html = await merchantPageHtml(server.url, secretKey);
 */
export async function merchantPageHtml(apiUrl: string, secretKey: string): Promise<string> {
  const login = await fetch(`${apiUrl}/merchant/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `key=${encodeURIComponent(secretKey)}`,
    redirect: 'manual',
  });
  assert.equal(login.status, 303);
  const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
  const page = await fetch(`${apiUrl}/merchant`, { headers: { cookie } });
  assert.equal(page.status, 200);
  return page.text();
}

/**
 * The `<tr>` rows (their HTML, header row left out) of the page's section whose `<h2>` starts with `title`.
 * @example assert.equal(pageSection(html, 'Sweeps exported').length, 2);
 */
export function pageSection(html: string, title: string): string[] {
  const start = html.indexOf(`<h2>${title}`);
  assert.ok(start >= 0, `the section ${title}`);
  const table = html.slice(start, html.indexOf('</table>', start));
  return table.split('<tr>').slice(2);
}
