/**
 * Registration of the package's custom elements, safe to run twice.
 * @module
 */
import { VERSION } from './version.js';

/** Marks a class with the version of the package that defined it. */
const VERSION_KEY = Symbol.for('crypto-checkout.version');

/**
 * Defines `name` as `ctor` unless it is defined already. A page can load the package twice — a CDN
 * copy and a bundled copy, two micro-frontends, HMR — and `customElements.define` would throw "this
 * name has already been used". The first definition wins; when the copy already registered is
 * another version, the console says so once, because the two copies may behave differently. Does
 * nothing where there is no `customElements` (Node, server-side rendering).
 * @example defineElement('crypto-checkout', CryptoCheckout);
 */
export function defineElement(name: string, ctor: CustomElementConstructor): void {
  if (typeof customElements === 'undefined') return;
  const existing = customElements.get(name) as
    (CustomElementConstructor & { [VERSION_KEY]?: string }) | undefined;
  if (!existing) {
    Object.defineProperty(ctor, VERSION_KEY, { value: VERSION });
    customElements.define(name, ctor);
    return;
  }
  const theirs = existing[VERSION_KEY];
  if (existing !== ctor && theirs !== VERSION) {
    console.warn(
      `<${name}>: crypto-checkout ${VERSION} was loaded, but ${theirs ? `version ${theirs}` : 'another definition'} ` +
        `is already registered and stays in use. Load the package once, or load the same version everywhere.`,
    );
  }
}
