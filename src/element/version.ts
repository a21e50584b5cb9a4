/**
 * Version of this build of the element, the package's version (test/server/version.test.ts checks
 * that they agree). A page that loads two different copies gets a console warning naming both.
 */
export const VERSION = '0.1.0';
