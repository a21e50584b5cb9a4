/**
 * The hosted checkout page, for merchants who redirect the buyer instead of embedding the element:
 * `GET /checkout/:id` (the page; the client secret arrives in the URL fragment, which the server
 * never sees) and `GET /checkout/assets/:file` (the built scripts from `dist/`). Public: the page
 * holds nothing secret, and the element on it authenticates with the client secret itself.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionIdSchema } from '@crypto-checkout/protocol';
import type { Config } from '../../config.js';
import { CheckoutPageUnavailableError, NotFoundError } from '../../errors.js';
import { errors, raw, security } from '../../openapi.js';
import { packagePath } from '../../package-root.js';
import { merchantDisplayName } from '../../public-url.js';
import type { SessionService } from '../../sessions/session-service.js';

/**
 * The element's built scripts that this package ships, `checkout-assets/` beside `dist/` and `src/`
 * (package-root.ts finds it from the tsc output, the bundle or the sources alike); `npm run build` copies them from
 * the element's build.
 */
export const DEFAULT_DIST_DIR = packagePath('checkout-assets/');

/** The page's script, built by Vite next to the element (vite.config.ts). */
const PAGE_SCRIPT = 'hosted-page.js';
/** Entries keep their names from build to build, so browsers must ask again soon; chunks are hashed. */
const ENTRY_FILES = new Set(['crypto-checkout.js', 'hosted-page.js']);
const ENTRY_CACHE = 'public, max-age=300';
const CHUNK_CACHE = 'public, max-age=31536000, immutable';
/** `name-<hash>.js`: Vite's chunk names; the hash changes with the content, so they never go stale. */
const HASHED_FILE = /-[A-Za-z0-9_-]{8,}\.js(\.map)?$/;
/** One path segment, a script or its source map: no `/`, `\`, `..`, leading dot or `%`. */
const ASSET_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.js(\.map)?$/;

/**
 * Where WalletConnect's provider connects (relay, its RPC, Verify, analytics), allowed only when the
 * backend offers WalletConnect (`walletconnect_project_id`). From the hosts in the bundled
 * `@walletconnect/*` code and Reown's CSP guide; the modal's hosts are absent, as the modal is not
 * bundled.
 */
const WALLETCONNECT_CONNECT = [
  'wss://relay.walletconnect.org',
  'wss://relay.walletconnect.com',
  'https://relay.walletconnect.org',
  'https://relay.walletconnect.com',
  'https://rpc.walletconnect.org',
  'https://rpc.walletconnect.com',
  'https://verify.walletconnect.org',
  'https://verify.walletconnect.com',
  'https://pulse.walletconnect.org',
];
/** WalletConnect's Verify API runs in an iframe of these origins. */
const WALLETCONNECT_FRAMES = ['https://verify.walletconnect.org', 'https://verify.walletconnect.com'];

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * The page's styles: mobile first (a 320 px webview), light or dark as the buyer's system says. The
 * element's own look follows the same setting (`theme="auto"`).
 */
const PAGE_CSS = `
:root{color-scheme:light dark;--page-bg:#f3f4f6;--page-fg:#111827;--page-muted:#4b5563;--page-link:#4338ca}
@media (prefers-color-scheme:dark){:root{--page-bg:#0b1120;--page-fg:#f3f4f6;--page-muted:#9ca3af;--page-link:#a5b4fc}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;min-height:100dvh;background:var(--page-bg);color:var(--page-fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:30rem;margin:0 auto;padding:1rem max(.75rem,env(safe-area-inset-right)) 2rem max(.75rem,env(safe-area-inset-left))}
h1{font-size:1.25rem;line-height:1.3;margin:.25rem 0 1rem;overflow-wrap:anywhere}
crypto-checkout{display:block}
crypto-checkout::part(success-link){display:none}
.return{margin:1.25rem 0 0;text-align:center}
.return a{color:var(--page-link);font-weight:600;overflow-wrap:anywhere}
.note{margin:.5rem 0 0;color:var(--page-muted);font-size:.875rem;text-align:center}
.alert{padding:.75rem 1rem;border-radius:.5rem;border:1px solid currentColor}
[hidden]{display:none!important}
@media (min-width:40rem){main{padding-top:3rem}h1{font-size:1.5rem}}
`.trim();

/** English texts of the server-rendered page; the page's script switches them to the buyer's language. */
const TEXT = {
  title: (merchant: string) => (merchant ? `Pay ${merchant}` : 'Complete your payment'),
  returnNote: 'Your payment is recorded even if you close this page.',
  incomplete: 'This payment link is incomplete. Go back to the merchant and start the payment again.',
  noScript: 'This checkout needs JavaScript. Turn it on, or open the link in another browser.',
  notFoundTitle: 'Checkout not found',
  notFound: 'This checkout could not be found. Please ask the merchant for a new payment link.',
  unavailableTitle: 'Checkout unavailable',
  unavailable: 'The checkout page cannot be shown right now. Please try again in a few minutes.',
};

/** What a page response needs besides its body. */
interface PageParts {
  title: string;
  body: string;
  /** Loads the page's script (the checkout page only). */
  script?: boolean;
}

/** The whole HTML document; every interpolated value is escaped by the caller or here. */
function renderDocument({ title, body, script }: PageParts, nonce: string): string {
  return `<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${PAGE_CSS}</style>
${script ? `<script type="module" src="assets/${PAGE_SCRIPT}"></script>\n` : ''}</head>
<body>
${body}
</body>
</html>
`;
}

/** The checkout page: the heading, a place for the element, the return link and the note. */
function checkoutPage(merchant: string, sessionId: string): PageParts {
  const title = TEXT.title(merchant);
  return {
    title,
    script: true,
    body: `<main id="page" data-merchant="${escapeHtml(merchant)}" data-session-id="${escapeHtml(sessionId)}">
<h1 id="title">${escapeHtml(title)}</h1>
<div id="checkout"></div>
<p id="incomplete" class="alert" role="alert" hidden>${escapeHtml(TEXT.incomplete)}</p>
<p id="return" class="return" hidden><a id="return-link" href="#"></a></p>
<p id="note" class="note" hidden>${escapeHtml(TEXT.returnNote)}</p>
<noscript><p class="alert">${escapeHtml(TEXT.noScript)}</p></noscript>
</main>`,
  };
}

/** A page that only says something (not found, unavailable). */
function messagePage(title: string, text: string): PageParts {
  return {
    title,
    body: `<main>\n<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>\n</main>`,
  };
}

/**
 * The page's Content-Security-Policy: its own scripts only (no inline script), the API on its own
 * origin, styles only from the page's `<style>` and the element's (with the response's nonce: Lit
 * uses constructed stylesheets, which CSP does not govern, and falls back to `<style>` elements that
 * carry `window.litNonce` in browsers without them), no framing, no `<base>`, no forms. WalletConnect's
 * hosts are allowed only when the backend offers WalletConnect.
 */
export function checkoutPageCsp(nonce: string, walletconnect: boolean): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    `connect-src 'self'${walletconnect ? ` ${WALLETCONNECT_CONNECT.join(' ')}` : ''}`,
    ...(walletconnect ? [`frame-src ${WALLETCONNECT_FRAMES.join(' ')}`] : []),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Where the page's files come from, and what the page needs of the app. */
export interface CheckoutPageDeps {
  config: Config;
  sessions: SessionService;
  /** The folder with the built `hosted-page.js` and the element's chunks; default: the package's `dist/`. */
  distDir?: string;
}

const pageParams = z.object({ id: sessionIdSchema.describe('The session id (`cs_…`).') });
const assetParams = z.object({
  file: z
    .string()
    .regex(ASSET_FILE, 'must be a script or source map of the build')
    .describe('A file name in `dist/`, e.g. `hosted-page.js`.'),
});

/** The hosted page's routes; register with the prefix `/checkout`. */
export const checkoutRoutes: FastifyPluginAsyncZod<CheckoutPageDeps> = async (app, deps) => {
  const { config, sessions } = deps;
  const distDir = deps.distDir ?? DEFAULT_DIST_DIR;
  const walletconnect = Boolean(config.walletconnect_project_id);
  let warned = false;

  /** Whether `dist/` holds the page's script; checked on each request, so a later build is picked up. */
  const built = async () => {
    const ready = await stat(join(distDir, PAGE_SCRIPT)).then(
      (info) => info.isFile(),
      () => false,
    );
    if (!ready && !warned) {
      warned = true;
      app.log.warn(
        { dist: distDir },
        `hosted checkout page unavailable: ${PAGE_SCRIPT} is not built; run npm run build`,
      );
    }
    return ready;
  };

  const sendPage = (reply: FastifyReply, status: number, page: PageParts) => {
    const nonce = randomBytes(18).toString('base64');
    return reply
      .status(status)
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': checkoutPageCsp(nonce, walletconnect),
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        // The page carries nothing secret, but its state changes with every payment: never reuse it.
        'cache-control': 'no-store',
      })
      .send(renderDocument(page, nonce));
  };

  app.get(
    '/:id',
    {
      // A malformed id is as unknown as a missing one: the HTML 404 page, never a JSON error.
      attachValidation: true,
      schema: {
        operationId: 'getCheckoutPage',
        tags: ['Hosted page'],
        summary: 'The hosted checkout page',
        description:
          "Open a session's `checkout_url` (`/checkout/{id}#{client_secret}`) in a browser: the page " +
          'reads the client secret from the URL fragment, which never reaches the server, and shows the ' +
          'checkout with links back to `cancel_url` and `success_url`. Sent with a strict ' +
          'Content-Security-Policy, `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.',
        security: security(),
        params: pageParams,
        response: {
          200: raw('text/html', 'The page.'),
          404: raw('text/html', 'No such session (also for a malformed id).'),
          503: raw('text/html', 'The page is not built on this server (`npm run build`).'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const bundle = request.validationError ? null : await sessions.load(id);
      if (!bundle) return sendPage(reply, 404, messagePage(TEXT.notFoundTitle, TEXT.notFound));
      if (!(await built())) {
        return sendPage(reply, 503, messagePage(TEXT.unavailableTitle, TEXT.unavailable));
      }
      return sendPage(reply, 200, checkoutPage(merchantDisplayName(config), id));
    },
  );

  app.get(
    '/assets/:file',
    {
      // Checked in the handler, after whether the page is built at all (503 comes first).
      attachValidation: true,
      schema: {
        operationId: 'getCheckoutPageAsset',
        tags: ['Hosted page'],
        summary: "The hosted page's scripts",
        description:
          "The page's script and the element's files from the build (`dist/*.js` and their source " +
          'maps). Hashed chunks are cached for a year (`immutable`), the entries for 5 minutes.',
        security: security(),
        params: assetParams,
        response: {
          200: raw('text/javascript', 'The script or source map.'),
          ...errors(404, 503),
        },
      },
    },
    async (request, reply) => {
      if (!(await built())) {
        // The folder is logged by built(); the answer names no path of this machine.
        throw new CheckoutPageUnavailableError(
          `the hosted checkout page is not built on this server (no ${PAGE_SCRIPT}): run npm run build`,
        );
      }
      const { file } = request.params;
      const notFound = () => new NotFoundError(`no asset ${JSON.stringify(file)}`);
      if (request.validationError || file.includes('..')) throw notFound();
      // Only regular files really inside dist/: a symlink pointing out of it is refused too.
      let body: Buffer;
      try {
        const root = await realpath(distDir);
        const path = await realpath(join(root, file));
        if (!path.startsWith(root + sep) || !(await stat(path)).isFile()) throw notFound();
        body = await readFile(path);
      } catch {
        throw notFound();
      }
      return reply
        .headers({
          'content-type': file.endsWith('.map')
            ? 'application/json; charset=utf-8'
            : 'text/javascript; charset=utf-8',
          'cache-control':
            ENTRY_FILES.has(file.replace(/\.map$/, '')) || !HASHED_FILE.test(file)
              ? ENTRY_CACHE
              : CHUNK_CACHE,
          'x-content-type-options': 'nosniff',
        })
        .send(body);
    },
  );
};
