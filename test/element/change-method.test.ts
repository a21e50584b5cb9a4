/// <reference types="mocha" />
/**
 * The back action ("Change method", `DELETE /v1/sessions/:id/payment`) on the real stack: the real
 * backend and anvil, real USDC and ETH transfers. A buyer goes from USDC back to the methods and pays
 * in ETH; and once a USDC transfer arrived, the server refuses to drop the payment (409
 * `payment_in_progress`) and the element keeps showing it.
 */
import { expect } from '@open-wc/testing';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { mount, part, parts, spyNetwork, stack, text, until } from './helpers.js';
import type { CryptoCheckout } from '../../src/element/index.js';

/** Clicks the method button `id` once the methods are shown, and waits for that method's address. */
async function choose(el: CryptoCheckout, id: string): Promise<void> {
  const button = await until(
    () => parts(el, 'method').find((b) => b.dataset.method === id) as HTMLButtonElement | undefined,
    `the method ${id} is offered`,
  );
  button.click();
  const token = id.split('@')[0]!.toUpperCase();
  await until(() => part(el, 'address') && text(el, 'token') === token, `the ${token} payment is shown`);
}

/** The session as the server has it, read past any test wrapper of `fetch`. */
async function serverSession(
  fetchFn: typeof fetch,
  apiUrl: string,
  id: string,
  secret: string,
): Promise<BuyerSession> {
  const response = await fetchFn(`${apiUrl}/v1/sessions/${id}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  return (await response.json()) as BuyerSession;
}

describe('<crypto-checkout> changing the method on the real stack', () => {
  it('chooses USDC, goes back, chooses ETH and pays it in ETH', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'] });
    const { el, events } = await mount(session.client_secret);
    await choose(el, 'usdc@anvil');
    const usdcAddress = text(el, 'address').replace(/\s/g, '');

    // A disabled button (a change under way) swallows the click: wait until it can be pressed.
    const back = await until(() => {
      const button = part(el, 'change-method') as HTMLButtonElement | null;
      return button && !button.disabled ? button : null;
    }, 'the back action, enabled');
    back.click();
    await until(() => parts(el, 'method').length === 2, 'the methods are shown again');
    expect(part(el, 'address')).to.equal(null);

    await choose(el, 'eth@anvil');
    const { apiUrl } = await stack.info();
    const chosen = await serverSession(fetch, apiUrl, session.id, session.client_secret);
    expect(chosen.payment!.token).to.equal('ETH');
    expect(text(el, 'address').replace(/\s/g, '')).to.equal(chosen.payment!.address);
    expect(chosen.payment!.address, 'the ETH payment has an address of its own').not.to.equal(usdcAddress);

    await stack.pay(chosen.payment!.address, chosen.payment!.amount_due, 'eth');
    await stack.mine(1);
    const paid = await events.next<{ session: BuyerSession }>('checkout-paid');
    expect(paid.detail.session.status).to.equal('paid');
    expect(paid.detail.session.payment!.token).to.equal('ETH');
    expect(events.of('checkout-error')).to.have.length(0);
  });

  it('keeps the payment when a USDC transfer arrived: no back action, and the server answers 409', async () => {
    // The stream is broken and the element's polls held back, so that the element still offers the
    // back action after the server has seen the transfer: the race a buyer can win on a slow phone.
    const network = spyNetwork({ breakStreams: () => true });
    const realFetch = window.fetch;
    const answers: string[] = [];
    let hold = false;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    window.fetch = async (input, init) => {
      const method = init?.method ?? 'GET';
      if (hold && method === 'GET') await released;
      const response = await realFetch(input, init);
      answers.push(`${method} ${response.status}`);
      return response;
    };
    try {
      const session = await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'] });
      const { el, events } = await mount(session.client_secret);
      await choose(el, 'usdc@anvil');
      const back = await until(
        () => part(el, 'change-method') as HTMLButtonElement | null,
        'the back action',
      );
      const { apiUrl } = await stack.info();
      const before = await serverSession(realFetch, apiUrl, session.id, session.client_secret);

      hold = true;
      // 1 of 10 USDC, confirmed: the session is underpaid and its payment view shows the remainder.
      await stack.pay(before.payment!.address, '1');
      await stack.mine(1);
      await until(
        async () =>
          (await serverSession(realFetch, apiUrl, session.id, session.client_secret)).status === 'underpaid',
        'the server has seen the transfer',
      );
      expect(part(el, 'change-method'), 'the element has not heard of it yet').to.equal(back);
      back.click();
      await until(() => answers.includes('DELETE 409'), 'the server refuses to drop the payment');
      release();

      await until(
        () => el.status === 'underpaid' && part(el, 'address'),
        'the element shows the underpayment',
      );
      expect(part(el, 'change-method'), 'no back action once money arrived').to.equal(null);
      expect(parts(el, 'method')).to.have.length(0);
      expect(text(el, 'token')).to.equal('USDC');
      expect(text(el, 'address').replace(/\s/g, '')).to.equal(before.payment!.address);
      const after = await serverSession(realFetch, apiUrl, session.id, session.client_secret);
      expect(after.payment!.id).to.equal(before.payment!.id);
      expect(after.payment!.address).to.equal(before.payment!.address);
      expect(
        events.of('checkout-error').map((e) => (e.detail as { code: string }).code),
        'the refusal is no error for the page: the payment simply stays',
      ).to.deep.equal([]);
    } finally {
      release();
      window.fetch = realFetch;
      network.restore();
    }
  });
});
