/**
 * Languages of the element: which one a checkout speaks, and loading its messages. English is built
 * in; every other language is a lazily loaded chunk, so the initial script does not grow with each
 * language, and a page fetches only the one it shows.
 * @module
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { messages as en, type Messages } from './messages.js';

/** Languages with messages, by BCP 47 primary language subtag. */
export const SUPPORTED_LANGUAGES = ['en', 'es', 'fr', 'de', 'pt', 'ru', 'tr', 'zh', 'ja', 'ar'] as const;

/** One of {@link SUPPORTED_LANGUAGES}. */
export type SupportedLanguage = (typeof SUPPORTED_LANGUAGES)[number];

type Loader = () => Promise<{ default: Messages }>;

// One dynamic import per language, spelled out, so that the bundler makes one chunk of each.
const loaders: Record<Exclude<SupportedLanguage, 'en'>, Loader> = {
  es: () => import('./locales/es.js'),
  fr: () => import('./locales/fr.js'),
  de: () => import('./locales/de.js'),
  pt: () => import('./locales/pt.js'),
  ru: () => import('./locales/ru.js'),
  tr: () => import('./locales/tr.js'),
  zh: () => import('./locales/zh.js'),
  ja: () => import('./locales/ja.js'),
  ar: () => import('./locales/ar.js'),
};

const loaded = new Map<SupportedLanguage, Messages>([['en', en]]);
const loading = new Map<SupportedLanguage, Promise<Messages>>();

/** The language of a BCP 47 tag when there are messages for it (`pt-BR` → `pt`), else `undefined`. */
export function supportedLanguage(tag: string | null | undefined): SupportedLanguage | undefined {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return SUPPORTED_LANGUAGES.find((language) => language === primary);
}

/** What a checkout speaks: the BCP 47 tag for `Intl` formatting and the language of its messages. */
export interface ResolvedLocale {
  /** The tag that chose the language, e.g. `pt-BR`; `Intl` formats numbers and dates with it. */
  tag: string;
  /** The language of the messages. */
  language: SupportedLanguage;
  /** Text direction of the language. */
  dir: 'ltr' | 'rtl';
}

/**
 * Chooses the language of `element`: the first of its `locale` (passed as `explicit`), its own or its
 * closest ancestor's `lang` (also across shadow roots), the page's `<html lang>` and the browser's
 * languages that there are messages for; else English.
 * @example resolveLocale(checkout, checkout.locale) // { tag: 'de-CH', language: 'de', dir: 'ltr' }
 */
export function resolveLocale(element: Element, explicit?: string): ResolvedLocale {
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  for (let node: Element | null = element; node;) {
    const lang = node.getAttribute('lang');
    if (lang) candidates.push(lang);
    const root = node.getRootNode();
    node = node.parentElement ?? (root instanceof ShadowRoot ? root.host : null);
  }
  if (typeof document !== 'undefined' && document.documentElement.lang)
    candidates.push(document.documentElement.lang);
  if (typeof navigator !== 'undefined') candidates.push(...(navigator.languages ?? [navigator.language]));
  for (const tag of candidates) {
    const language = supportedLanguage(tag);
    if (language)
      return { tag: canonical(tag) ?? language, language, dir: language === 'ar' ? 'rtl' : 'ltr' };
  }
  return { tag: 'en', language: 'en', dir: 'ltr' };
}

/** The canonical form of a tag for `Intl` (`pt_br` → `pt-BR`), or undefined when it is not valid. */
function canonical(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag.replace(/_/g, '-'))[0];
  } catch {
    return undefined;
  }
}

/** The messages of `language` when they are loaded already (English always is). */
export function loadedMessages(language: SupportedLanguage): Messages | undefined {
  return loaded.get(language);
}

/**
 * Loads the messages of `language` (once per page; later calls share the first). A language whose
 * chunk cannot be fetched falls back to English, so that a checkout never fails for its words.
 * @example const m = await loadMessages('ja');
 */
export function loadMessages(language: SupportedLanguage): Promise<Messages> {
  const ready = loaded.get(language);
  if (ready) return Promise.resolve(ready);
  let pending = loading.get(language);
  if (!pending) {
    pending = loaders[language as Exclude<SupportedLanguage, 'en'>]().then(
      (module) => {
        loaded.set(language, module.default);
        return module.default;
      },
      () => {
        loading.delete(language);
        return en;
      },
    );
    loading.set(language, pending);
  }
  return pending;
}

const current = new WeakMap<Element, { messages: Messages; tag: string }>();

/** The messages an element of this package shows now (its lazily loaded parts read them here). */
export function messagesOf(element: Element): Messages {
  return current.get(element)?.messages ?? en;
}

/** The BCP 47 tag an element of this package formats numbers and dates with now. */
export function localeTagOf(element: Element): string {
  return current.get(element)?.tag ?? 'en';
}

/** Records the messages `element` shows and the tag it formats with, for {@link messagesOf}. */
export function setMessagesOf(element: Element, messages: Messages, tag: string): void {
  current.set(element, { messages, tag });
}

/** An element of this package that speaks the buyer's language. */
export type LocalizedHost = ReactiveControllerHost & HTMLElement & { locale: string };

/**
 * The language of one element of this package, as a Lit reactive controller: before every render it
 * chooses the language ({@link resolveLocale}: the host's `locale`, then `lang` up the tree, the
 * page's, the browser's) — ancestors' `lang` and the page's can change without telling the element —
 * and loads its messages, re-rendering the host when they arrive; the previous language stays on
 * screen meanwhile. It also re-renders the host when its own `lang` attribute changes.
 * @example
 * private i18n = new LocaleController(this);
 * render() { return html`<button lang=${this.i18n.locale.tag}>${this.i18n.m.dialog.close}</button>`; }
 */
export class LocaleController implements ReactiveController {
  /** The chosen locale. */
  locale: ResolvedLocale = { tag: 'en', language: 'en', dir: 'ltr' };
  /** The messages of the chosen language; undefined only until the first language has loaded. */
  messages?: Messages;
  private observer?: MutationObserver;

  constructor(private readonly host: LocalizedHost) {
    host.addController(this);
  }

  /** The messages shown: the chosen language's, English until they have loaded. */
  get m(): Messages {
    return this.messages ?? en;
  }

  hostConnected(): void {
    // `lang` is a global attribute, not a property: watch it, since Lit does not.
    this.observer ??= new MutationObserver(() => this.host.requestUpdate());
    this.observer.observe(this.host, { attributes: true, attributeFilter: ['lang'] });
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
  }

  hostUpdate(): void {
    const wanted = resolveLocale(this.host, this.host.locale);
    if (wanted.tag === this.locale.tag && this.messages) return;
    this.locale = wanted;
    const ready = loadedMessages(wanted.language);
    if (ready) return this.use(ready);
    void loadMessages(wanted.language).then((messages) => {
      if (this.locale.language !== wanted.language) return;
      this.use(messages);
      this.host.requestUpdate();
    });
  }

  private use(messages: Messages) {
    this.messages = messages;
    setMessagesOf(this.host, messages, this.locale.tag);
  }
}
