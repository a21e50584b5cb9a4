// Configuration of @custom-elements-manifest/analyzer: `npm run manifest` writes custom-elements.json,
// `npm run manifest:check` (scripts/check-manifest.ts) fails when the committed file is out of date.
export default {
  globs: ['src/element/**/*.ts'],
  // The styles and messages modules would put whole stylesheets and string tables into the manifest
  // as default values.
  exclude: ['src/element/**/*.test.ts', 'src/element/*.styles.ts', 'src/element/messages.ts'],
  outdir: '.',
  litelement: true,
  // package.json already points at custom-elements.json; a check run into a temp dir must not rewrite it.
  packagejson: false,
};
