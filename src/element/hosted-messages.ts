/**
 * The hosted checkout page's texts in English, in hosted-page.js rather than the element's initial
 * script, which pages embedding the element load without the page (translations carry their own,
 * `Translation['hosted']`).
 * @module
 */

/** The hosted page's English texts (the page the backend serves at `checkout_url`). */
export const hostedMessages = {
  /**
   * The page's heading and title; `merchant` is the merchant's name (`merchant_name`), or `''` when none
   * is configured: then neutral words, never the backend's host name.
   */
  title: (merchant: string) => (merchant ? `Pay ${merchant}` : 'Complete your payment'),
  returnTo: (merchant: string) => (merchant ? `Return to ${merchant}` : 'Return to the merchant'),
  cancelAndReturn: (merchant: string) =>
    merchant ? `Cancel and return to ${merchant}` : 'Cancel and return to the merchant',
  incomplete: 'This payment link is incomplete. Go back to the merchant and start the payment again.',
  /** Under the return link: the merchant learns of the payment from the payment server, not from the click. */
  returnNote: 'Your payment is recorded even if you close this page.',
};

/** The shape of {@link hostedMessages}: what a translation provides as its `hosted` texts. */
export type HostedMessages = typeof hostedMessages;
