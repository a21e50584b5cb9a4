/** @jsxImportSource preact */
// Preact renders the elements directly (compiled with Preact 11 and 10, never run).
import type {} from 'crypto-checkout/jsx-preact';
import type { CheckoutStatusChangeDetail, CryptoCheckout } from 'crypto-checkout';
import { useRef } from 'preact/hooks';

export function Checkout({ clientSecret }: { clientSecret: string }) {
  const ref = useRef<CryptoCheckout>(null);
  const statuses: CheckoutStatusChangeDetail['status'][] = [];
  return (
    <crypto-checkout
      ref={ref}
      session={clientSecret}
      api="https://pay.example.com"
      theme="light"
      walletconnect-project-id="0123"
      no-wallet={false}
      class="checkout"
      oncheckout-status-change={(e) => statuses.push(e.detail.status)}
      oncheckout-paid={(e) => console.log(e.detail.session.id)}
    />
  );
}

export const button = (
  <crypto-checkout-button
    session="cs_1_secret_2"
    disabled
    oncheckout-close={(e) => console.log(e.detail.status)}
  >
    Pay
  </crypto-checkout-button>
);

// @ts-expect-error theme is light, dark or auto
export const wrongTheme = <crypto-checkout theme="blue" />;
// @ts-expect-error checkout-paid's detail has the session, not a status
export const wrongDetail = <crypto-checkout oncheckout-paid={(e) => e.detail.status} />;
