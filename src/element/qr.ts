// qrcode is CommonJS: its default import (module.exports) is the one form every bundler agrees on.
import QRCode from 'qrcode';

/**
 * Renders `text` (an EIP-681 payment URI) as a QR code in SVG markup. The markup comes from the QR
 * encoder only (it draws paths for the bits of `text` and never copies `text` itself), which is why
 * the element may insert it with `unsafeHTML`.
 * @example const svg = await qrSvg('ethereum:0xabc…@1?value=1000');
 */
export function qrSvg(text: string): Promise<string> {
  // Dark on white whatever the page theme: scanners need the contrast. Level M survives a little blur.
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
