/**
 * Token and network marks for the method picker and the payment: small inline SVG badges drawn from
 * a color and a letter, not bundled logos, so that they cost a few hundred bytes of the initial
 * script whatever the tokens and networks are (a logo is a brand asset of its issuer, and dozens of
 * them would not fit the 20 KB budget).
 * @module
 */
import { svg } from 'lit';

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
 * its initial in white on its color. Decorative: the name is always written beside it.
 * @example html`${mark('USDC')} USDC`
 */
export function mark(name: string, square = false) {
  const r = square ? 6 : 12;
  return svg`<svg part=${square ? 'network-mark' : 'token-mark'} viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><rect width="24" height="24" rx=${r} fill=${colorOf(name)}></rect><text x="12" y="16.5" text-anchor="middle" font-size="12" font-weight="700" font-family="system-ui,sans-serif" fill="#fff">${(name[0] ?? '?').toUpperCase()}</text></svg>`;
}
