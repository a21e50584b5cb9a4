import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadMessages, SUPPORTED_LANGUAGES, type SupportedLanguage } from '../../src/element/i18n.js';
import ar from '../../src/element/locales/ar.js';
import de from '../../src/element/locales/de.js';
import es from '../../src/element/locales/es.js';
import fr from '../../src/element/locales/fr.js';
import ja from '../../src/element/locales/ja.js';
import pt from '../../src/element/locales/pt.js';
import ru from '../../src/element/locales/ru.js';
import tr from '../../src/element/locales/tr.js';
import zh from '../../src/element/locales/zh.js';
import { messages as english, type Messages } from '../../src/element/messages.js';
import { hostedMessages } from '../../src/element/hosted-messages.js';
import { TRON_MESSAGES } from '../../src/element/payment-extras.js';
import { walletMessages } from '../../src/element/wallet/wallet-messages.js';

/**
 * English as a translation must match it: the initial messages and the texts that travel with their
 * lazily loaded chunks (the wallet panel's, the hosted page's, TRON's).
 */
const en = { ...english, wallet: walletMessages, hosted: hostedMessages, tron: TRON_MESSAGES };

const locales: Record<Exclude<SupportedLanguage, 'en'>, Messages> = { es, fr, de, pt, ru, tr, zh, ja, ar };

/** Strings a translation may leave as in English: key path → languages (`*`: all). */
const SAME_AS_ENGLISH: Record<string, readonly string[]> = {
  'wallet.walletConnect': ['*'], // brand name
  token: ['de', 'es', 'pt', 'tr'], // the word those languages use
  confirmations: ['fr'], // same spelling in French
  receiptDate: ['fr'], // same spelling in French
  receiptTransaction: ['fr'], // same spelling in French
};

/** Sample arguments of functions whose parameters are numbers (all others take strings). */
const NUMERIC_ARGS: Record<string, readonly number[]> = {
  confirming: [314, 271],
};

type Tree = { [key: string]: unknown };

/** Distinctive arguments for the function at `path` taking `arity` parameters. */
function sampleArgs(path: string, arity: number): (string | number)[] {
  return [...(NUMERIC_ARGS[path] ?? Array.from({ length: arity }, (_, i) => `ARG${i}`))];
}

/** Every way `translated` (in `language`) falls short of `english`, one line each; empty when none. */
function problems(english: Tree, translated: Tree, language: string, prefix = ''): string[] {
  const found: string[] = [];
  const keys = new Set([...Object.keys(english), ...Object.keys(translated)]);
  for (const key of keys) {
    const path = prefix + key;
    const source = english[key];
    const value = translated[key];
    if (!(key in translated)) {
      found.push(`${path}: missing`);
    } else if (!(key in english)) {
      found.push(`${path}: not in English (extra key)`);
    } else if (typeof value !== typeof source) {
      found.push(`${path}: is a ${typeof value}, English has a ${typeof source}`);
    } else if (typeof source === 'function') {
      const fn = value as (...args: unknown[]) => unknown;
      if (fn.length !== source.length) {
        found.push(`${path}: takes ${fn.length} parameters, English takes ${source.length}`);
      }
      const args = sampleArgs(path, source.length);
      const out = fn(...args);
      if (typeof out !== 'string' || !out.trim()) {
        found.push(`${path}: returns ${JSON.stringify(out)}, not a non-empty string`);
      } else {
        for (const arg of args) if (!out.includes(String(arg))) found.push(`${path}: drops ${arg} in ${out}`);
        if (/undefined|NaN|\[object|\$\{/.test(out)) found.push(`${path}: leftover placeholder in ${out}`);
      }
    } else if (typeof source === 'string') {
      const text = value as string;
      const allowed = SAME_AS_ENGLISH[path] ?? [];
      if (!text.trim()) found.push(`${path}: empty`);
      else if (text !== text.trim()) found.push(`${path}: surrounding whitespace in ${JSON.stringify(text)}`);
      else if (text === source && !allowed.includes('*') && !allowed.includes(language)) {
        found.push(`${path}: same as English (${JSON.stringify(text)})`);
      }
    } else if (source && typeof source === 'object') {
      found.push(...problems(source as Tree, value as Tree, language, `${path}.`));
    } else {
      found.push(`${path}: unexpected ${typeof source} in English`);
    }
  }
  return found;
}

describe('element translations', () => {
  test('there is a translation for every supported language but English', () => {
    assert.deepEqual(
      Object.keys(locales).sort(),
      SUPPORTED_LANGUAGES.filter((language) => language !== 'en').sort(),
    );
  });

  test('the sample arguments reach every parameter of the English messages', () => {
    // Guards the test itself: stale allow-list or numeric entries, or English templates it cannot see.
    assert.deepEqual(
      problems(en, en, 'en').filter((line) => !line.includes('same as English')),
      [],
    );
    const paths = (tree: Tree, prefix = ''): string[] =>
      Object.entries(tree).flatMap(([key, value]) =>
        value && typeof value === 'object' ? paths(value as Tree, `${prefix}${key}.`) : [prefix + key],
      );
    const all = paths(en);
    for (const path of [...Object.keys(SAME_AS_ENGLISH), ...Object.keys(NUMERIC_ARGS)]) {
      assert.ok(all.includes(path), `${path} is not a message`);
    }
  });

  for (const [language, translated] of Object.entries(locales)) {
    test(`${language}: every message, translated, with all its parameters`, () => {
      assert.deepEqual(problems(en, translated, language), []);
    });

    test(`${language}: loadMessages loads this module`, async () => {
      assert.equal(await loadMessages(language as SupportedLanguage), translated);
    });
  }

  test('the checks catch missing, extra, untranslated and dropped-parameter messages', () => {
    const { loading: _loading, ...withoutLoading } = es;
    const broken = {
      ...withoutLoading,
      extra: 'sobrante',
      retry: en.retry,
      offline: '  ',
      order: () => 'Pedido',
      confirming: (seen: number) => `Confirmando ${seen}`,
      wallet: { ...es.wallet, pay: (amount: string) => `Pagar ${amount}`, walletConnect: 'WalletConnect' },
      hosted: { ...es.hosted, title: 'Pagar' },
    };
    const found = problems(en, broken, 'es');
    for (const expected of [
      /^loading: missing$/,
      /^extra: not in English/,
      /^retry: same as English/,
      /^offline: empty$/,
      /^order: takes 0 parameters/,
      /^order: drops ARG0/,
      /^confirming: drops 271/,
      /^wallet\.pay: drops ARG1/,
      /^hosted\.title: is a string/,
    ]) {
      assert.ok(
        found.some((line) => expected.test(line)),
        `expected ${expected} among:\n${found.join('\n')}`,
      );
    }
    assert.ok(!found.some((line) => line.startsWith('wallet.walletConnect')), 'allow-listed brand name');
  });
});
