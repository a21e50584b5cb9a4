// React 18 renders the elements directly: every prop is an attribute, and no prop adds a listener.
// Compiled with React 18's types, never run (see tsconfig.legacy.json).
import type {} from 'crypto-checkout/jsx-react';
import type { CryptoCheckout } from 'crypto-checkout';
import { useRef } from 'react';

export function Checkout({ clientSecret, off }: { clientSecret: string; off: boolean }) {
  const ref = useRef<CryptoCheckout>(null);
  return (
    <crypto-checkout
      ref={ref}
      session={clientSecret}
      api="https://pay.example.com"
      theme="dark"
      walletconnect-project-id="0123"
      no-wallet={off || undefined}
      class="checkout"
    />
  );
}

export const button = <crypto-checkout-button session="cs_1_secret_2" disabled />;

// @ts-expect-error React 18 writes false as "false", which the element reads as present
export const falseBoolean = <crypto-checkout no-wallet={false} />;
// @ts-expect-error React 18 cannot add listeners from props
export const listener = <crypto-checkout oncheckout-paid={() => {}} />;
// @ts-expect-error theme is light, dark or auto
export const wrongTheme = <crypto-checkout theme="blue" />;
