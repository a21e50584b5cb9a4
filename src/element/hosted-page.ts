/**
 * The script of the hosted checkout page that the backend serves at a session's `checkout_url`,
 * `/checkout/{id}#{client secret}` (packages/server/src/routes/checkout/index.ts renders the page around it).
 * Built as dist/hosted-page.js; it imports the element, so it shares crypto-checkout.js and its
 * chunks with pages that embed the element.
 *
 * It reads the client secret from the URL fragment (which no server, proxy or `Referer` ever sees),
 * adds the `<crypto-checkout>` element, switches the page's texts to the buyer's language and offers
 * the way back to the merchant as the session's status allows: "Cancel and return" (`cancel_url`)
 * while nothing was paid, "Return" (`success_url`) once paid. The return is a convenience; the
 * merchant learns of the payment from the backend (webhooks, API), never from the buyer's click.
 * @module
 */
import './index.js';
import { sessionIdFromClientSecret, type SessionStatus } from '@crypto-checkout/protocol/statuses';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { httpUrl } from './http-url.js';
import { loadedMessages, loadMessages, resolveLocale } from './i18n.js';
import { hostedMessages } from './hosted-messages.js';
import type { Messages } from './messages.js';

/** Statuses after which the buyer may go back to `success_url`: paid (also late, pending review). */
const PAID: readonly SessionStatus[] = ['paid', 'overpaid', 'paid_late'];
/** Statuses in which nothing can be paid any more: back to `cancel_url`, to start again there. */
const OVER: readonly SessionStatus[] = ['expired', 'canceled'];

/** The page's texts in the language of `m`: English ones come with this script, not the element. */
const hostedTexts = (m: Messages) => m.hosted ?? hostedMessages;

const page = document.getElementById('page');
if (page) start(page);

function start(page: HTMLElement) {
  const merchant = page.dataset.merchant ?? '';
  const sessionId = page.dataset.sessionId ?? '';
  const secret = clientSecretFrom(location.hash, sessionId);
  const get = (id: string) => document.getElementById(id)!;
  const [title, incomplete, back, backLink, note] = [
    'title',
    'incomplete',
    'return',
    'return-link',
    'note',
  ].map(get) as [HTMLElement, HTMLElement, HTMLElement, HTMLAnchorElement, HTMLElement];

  // <html lang="en"> describes the server's English text; the buyer's language is chosen without it.
  const root = document.documentElement;
  root.removeAttribute('lang');
  const locale = resolveLocale(root);
  root.lang = 'en';
  let m: Messages = loadedMessages('en')!;
  let session: BuyerSession | null = null;

  const render = () => {
    document.title = title.textContent = hostedTexts(m).title(merchant);
    incomplete.textContent = hostedTexts(m).incomplete;
    incomplete.hidden = Boolean(secret);
    note.textContent = hostedTexts(m).returnNote;
    note.hidden = !session;
    const link = session && returnLink(session, m, merchant);
    back.hidden = !link;
    if (link) {
      backLink.href = link.href;
      backLink.textContent = link.text;
    }
  };

  if (secret) {
    // Lit adopts constructed stylesheets, which CSP does not govern; where a browser lacks them it
    // writes <style> elements, which the page's CSP admits only with the response's nonce.
    (globalThis as { litNonce?: string }).litNonce =
      document.querySelector<HTMLStyleElement>('style[nonce]')?.nonce || undefined;
    const checkout = document.createElement('crypto-checkout');
    checkout.setAttribute('theme', 'auto');
    // The API is this backend: the page's origin, and the path above /checkout/ behind a proxy.
    checkout.api = new URL('..', location.href).href.replace(/\/+$/, '');
    checkout.locale = locale.tag;
    checkout.session = secret;
    checkout.addEventListener('checkout-status-change', (event) => {
      session = event.detail.session;
      render();
    });
    get('checkout').append(checkout);
  }
  render();

  void loadMessages(locale.language).then((messages) => {
    // A language whose chunk failed to load falls back to English: then say so in `lang` too.
    const english = messages === loadedMessages('en') && locale.language !== 'en';
    m = messages;
    root.lang = english ? 'en' : locale.tag;
    root.dir = english ? 'ltr' : locale.dir;
    render();
  });
}

/** The client secret in the fragment when it belongs to this page's session, else `null`. */
function clientSecretFrom(hash: string, sessionId: string): string | null {
  let secret: string;
  try {
    secret = decodeURIComponent(hash.replace(/^#/, ''));
  } catch {
    return null;
  }
  return sessionId && sessionIdFromClientSecret(secret) === sessionId ? secret : null;
}

/**
 * The link back to the merchant for this status, or `null`: to `success_url` once paid, to
 * `cancel_url` while nothing was received ("cancel") or when nothing can be paid any more. None
 * while a payment is confirming or partly made: the buyer's money is on its way, so the page does not
 * invite them to leave. Only http(s) URLs (the server validates them; this keeps `javascript:` out).
 */
function returnLink(
  session: BuyerSession,
  m: Messages,
  merchant: string,
): { href: string; text: string } | null {
  if (PAID.includes(session.status)) {
    const href = httpUrl(session.success_url);
    return href ? { href, text: hostedTexts(m).returnTo(merchant) } : null;
  }
  const href = httpUrl(session.cancel_url);
  if (!href) return null;
  if (session.status === 'open') return { href, text: hostedTexts(m).cancelAndReturn(merchant) };
  if (OVER.includes(session.status)) return { href, text: hostedTexts(m).returnTo(merchant) };
  return null;
}
