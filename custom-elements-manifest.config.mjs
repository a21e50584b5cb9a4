// Configuration of @custom-elements-manifest/analyzer: `npm run manifest` writes custom-elements.json,
// `npm run manifest:check` (scripts/check-manifest.ts) fails when the committed file is out of date.
export default {
  globs: ['src/element/**/*.ts'],
  // The styles and messages modules would put whole stylesheets and string tables into the manifest
  // as default values.
  // The wallet chunk (src/element/wallet/) is internal, lazily loaded code: its public face is the
  // element's attributes, events and parts, which the element's own doc comments list.
  exclude: [
    'src/element/**/*.test.ts',
    'src/element/*.styles.ts',
    'src/element/messages.ts',
    'src/element/wallet/**',
    // The hosted checkout page's script (served by the backend) declares and exports nothing.
    'src/element/hosted-page.ts',
    // The classic build's entry only sets window.CryptoCheckout; the translations are string tables.
    'src/element/classic.ts',
    'src/element/locales/**',
  ],
  outdir: '.',
  litelement: true,
  // package.json already points at custom-elements.json; a check run into a temp dir must not rewrite it.
  packagejson: false,
};
