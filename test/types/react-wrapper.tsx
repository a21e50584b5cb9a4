// crypto-checkout/react's components, the same in React 18 and 19 (compiled with both, never run).
import type { CheckoutStatusChangeDetail, CryptoCheckoutElement } from 'crypto-checkout/react';
import { CryptoCheckout, CryptoCheckoutButton, CryptoCheckoutDialog } from 'crypto-checkout/react';
import { useRef } from 'react';

export function Checkout({ clientSecret }: { clientSecret: string }) {
  const ref = useRef<CryptoCheckoutElement>(null);
  const statuses: CheckoutStatusChangeDetail['status'][] = [];
  return (
    <CryptoCheckout
      ref={ref}
      session={clientSecret}
      api="https://pay.example.com"
      locale="es"
      theme="dark"
      walletconnectProjectId="0123"
      noWallet={false}
      className="checkout"
      style={{ maxWidth: 480 }}
      onStatusChange={(e) => statuses.push(e.detail.status)}
      onPaid={(e) => console.log(e.detail.session.amount)}
      onExpired={(e) => console.log(e.detail.session.expires_at)}
      onCanceled={(e) => console.log(e.detail.session.canceled_at)}
      onError={(e) => console.log(e.detail.code)}
      onTransactionSent={(e) => console.log(e.detail.txHash)}
    />
  );
}

export const button = (
  <CryptoCheckoutButton
    session="cs_1_secret_2"
    disabled={false}
    onPaid={(e) => console.log(e.detail.session.id)}
    onCloseRequest={(e) => e.detail.reason === 'escape' && e.preventDefault()}
    onClose={(e) => console.log(e.detail.status)}
  >
    Pay 12 USDC
  </CryptoCheckoutButton>
);

export const dialog = <CryptoCheckoutDialog open session="cs_1_secret_2" onClose={() => {}} />;

// @ts-expect-error session is a string
export const wrongSession = <CryptoCheckout session={42} />;
// @ts-expect-error onPaid's event has the session, not a transaction
export const wrongDetail = <CryptoCheckout onPaid={(e) => e.detail.txHash} />;
// @ts-expect-error onError is the checkout's error event, not React's image error
export const reactError = <CryptoCheckout onError={(e: React.SyntheticEvent<HTMLImageElement>) => e} />;
// @ts-expect-error <CryptoCheckout> has no close events; the dialog and the button do
export const notItsEvent = <CryptoCheckout onClose={() => {}} />;
// @ts-expect-error status is read-only, set by the element
export const readOnly = <CryptoCheckout status="paid" />;
