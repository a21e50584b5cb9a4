/**
 * Token and network marks for the method picker and the payment: small badges drawn from a color and
 * an initial, not bundled logos, so that they cost a few hundred bytes of the initial script whatever
 * the tokens and networks are (a logo is a brand asset of its issuer, and dozens of them would not fit
 * the 20 KB budget). The initial is CSS generated content, so that it is in no text a buyer copies or
 * a screen reader reads: the name is always written beside the mark.
 * @module
 */
import { html } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';

/** Brand colors of well-known tokens and networks, by lower-case symbol or network word. */
const COLORS: Record<string, string> = {
  usdc: '#2775ca',
  usdt: '#26a17b',
  dai: '#f5ac37',
  eth: '#627eea',
  weth: '#627eea',
  btc: '#f7931a',
  pol: '#8247e5',
  matic: '#8247e5',
  bnb: '#f0b90b',
  base: '#0052ff',
  arbitrum: '#28a0f0',
  optimism: '#ff0420',
  polygon: '#8247e5',
  ethereum: '#627eea',
  anvil: '#6b7280',
};

/** A stable color for a name without a brand color: one of a few hues, chosen by the name's letters. */
function colorOf(name: string): string {
  const key = name.toLowerCase();
  const known = COLORS[key] ?? COLORS[key.split(/\W/)[0] ?? ''];
  if (known) return known;
  let hash = 0;
  for (const c of key) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 45%)`;
}

/**
 * A round mark for a token (`USDC`) or, with `square`, a rounded-square mark for a network (`Base`):
 * its initial in white on its color. Decorative (`aria-hidden`). The color is set through the CSSOM
 * (`styleMap`), which a page's Content-Security-Policy allows where a `style` attribute is refused.
 * @example html`${mark('USDC')} USDC`
 */
export function mark(name: string, square = false) {
  return html`<span
    part=${square ? 'network-mark' : 'token-mark'}
    class="mark"
    data-initial=${(name[0] ?? '?').toUpperCase()}
    style=${styleMap({ '--_mark': colorOf(name) })}
    aria-hidden="true"
  ></span>`;
}
