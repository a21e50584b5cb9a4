/**
 * Takes the README's pictures of the checkout: the demo shop with a real session on a real local chain
 * (demo/demo.ts), the buyer's choice of USDC made, photographed by headless Chromium at desktop and
 * phone sizes into docs/images/. Run it after a visible change to the element:
 *
 *   npx tsx --conditions=@crypto-checkout/source scripts/screenshots.ts
 * @module
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startDemo } from '../demo/demo.js';
import { launchChromium } from '../test/support/browser.js';

const OUT = join(ROOT, 'docs', 'images');
/** Desktop and phone: the viewport, the pixel ratio and the file each writes. */
const SHOTS = [
  { file: 'checkout-desktop.png', viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 },
  { file: 'checkout-phone.png', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 },
];

const [dataDir, distDir] = await Promise.all([
  mkdtemp(join(tmpdir(), 'cc-shots-data-')),
  mkdtemp(join(tmpdir(), 'cc-shots-dist-')),
]);
const demo = await startDemo({
  chainPort: 0,
  apiPort: 0,
  shopPort: 0,
  merchantName: 'Demo Shop',
  dataDir,
  distDir,
  logger: false,
});
const browser = await launchChromium();
try {
  for (const shot of SHOTS) {
    const context = await browser.newContext({
      viewport: shot.viewport,
      deviceScaleFactor: shot.deviceScaleFactor,
      locale: 'en-US',
      colorScheme: 'light',
    });
    const tab = await context.newPage();
    await tab.goto(demo.shopUrl);
    await tab.getByRole('button', { name: 'Book — $24.00', exact: true }).click();
    const checkout = tab.locator('crypto-checkout[status="open"]');
    await checkout.waitFor();
    // The buyer picks USDC: the address, the exact amount and the QR code appear.
    await checkout.locator('[part~="method"]', { hasText: 'USDC' }).first().click();
    await checkout.locator('[part~="qr"]').waitFor();
    await checkout.locator('[part~="address"]').waitFor();
    const path = join(OUT, shot.file);
    await checkout.screenshot({ path, animations: 'disabled' });
    console.log(`${path}: ${Math.round((await stat(path)).size / 1024)} KB`);
    await context.close();
  }
} finally {
  await browser.close();
  await demo.stop();
  await Promise.all([dataDir, distDir].map((dir) => rm(dir, { recursive: true, force: true })));
}
