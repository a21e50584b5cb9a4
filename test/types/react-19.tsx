// React 19 renders the elements directly: props become properties or attributes, `on<event-name>`
// props become listeners. Compiled, never run (see tsconfig.json).
import type {} from 'crypto-checkout/jsx-react';
import type { CheckoutButton, CheckoutStatusChangeDetail, CryptoCheckout } from 'crypto-checkout';
import { useRef } from 'react';

export function Checkout({ clientSecret }: { clientSecret: string }) {
  const ref = useRef<CryptoCheckout>(null);
  const statuses: CheckoutStatusChangeDetail['status'][] = [];
  return (
    <crypto-checkout
      ref={ref}
      session={clientSecret}
      api="https://pay.example.com"
      locale="de"
      theme="auto"
      walletconnect-project-id="0123"
      no-wallet={false}
      class="checkout"
      style={{ maxWidth: 480 }}
      oncheckout-status-change={(e) => statuses.push(e.detail.status)}
      oncheckout-paid={(e) => console.log(e.detail.session.id)}
      oncheckout-error={(e) => console.log(e.detail.code, e.detail.message)}
      oncheckout-transaction-sent={(e) => console.log(e.detail.txHash, e.detail.chainId)}
    />
  );
}

export function Button() {
  const ref = useRef<CheckoutButton>(null);
  return (
    <crypto-checkout-button
      ref={ref}
      session="cs_1_secret_2"
      disabled={false}
      oncheckout-close-request={(e) => e.detail.reason === 'escape' && e.preventDefault()}
      oncheckout-close={(e) => console.log(e.detail.status)}
    >
      Pay with crypto
    </crypto-checkout-button>
  );
}

export const dialog = <crypto-checkout-dialog open session="cs_1_secret_2" oncheckout-paid={() => {}} />;

// @ts-expect-error theme is light, dark or auto
export const wrongTheme = <crypto-checkout theme="blue" />;
// @ts-expect-error session is a string
export const wrongSession = <crypto-checkout session={42} />;
// @ts-expect-error checkout-paid's detail has the session, not a status
export const wrongDetail = <crypto-checkout oncheckout-paid={(e) => e.detail.status} />;
