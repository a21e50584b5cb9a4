/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import type {
  CheckoutErrorDetail,
  CheckoutTransactionSentDetail,
  CryptoCheckout,
} from '../../src/element/index.js';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { buyerSession, create, mount, mountUsdc, part, parts, stack, text, until } from './helpers.js';
import {
  disposeWallets,
  fakeWalletConnect,
  fundedWallet,
  methods,
  walletOption,
  walletText,
} from './wallet-helpers.js';

/**
 * Records `checkout-transaction-sent` and `checkout-error`, which the shared recorder does not, and
 * what the panel links to right after sending (no network event can come in between).
 */
function walletEvents(el: CryptoCheckout) {
  const sent: CustomEvent<CheckoutTransactionSentDetail>[] = [];
  const errors: CustomEvent<CheckoutErrorDetail>[] = [];
  const linked: (string | null)[] = [];
  el.addEventListener('checkout-transaction-sent', async (e) => {
    sent.push(e);
    await el.updateComplete;
    linked.push(part(el, 'wallet-transaction')?.getAttribute('href') ?? null);
  });
  el.addEventListener('checkout-error', (e) => errors.push(e));
  return { sent, errors, linked };
}

const payButton = (el: HTMLElement & { shadowRoot: ShadowRoot | null }) =>
  until(
    () => el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="pay-button"]'),
    'the Pay button is shown',
  );

describe('<crypto-checkout> paying from a wallet', () => {
  afterEach(() => disposeWallets());

  it('pays with an EIP-6963 wallet: connect, check, pay, tx link, processing, paid', async () => {
    const wallet = await fundedWallet();
    const { el, events, session } = await mountUsdc({ amount: '12.34' });
    const { sent } = walletEvents(el);

    const option = await walletOption(el, 'Dev wallet');
    expect(option.querySelector('img')!.getAttribute('src')).to.match(/^data:image\/svg\+xml,/);
    expect(text(el, 'wallet-heading')).to.equal('Pay 12.34 USDC from a wallet:');
    // The panel's styles come with its chunk, after the element's own.
    expect(getComputedStyle(option).display).to.equal('flex');
    expect(getComputedStyle(part(el, 'wallet-heading')!).fontWeight).to.equal('600');
    expect(methods(wallet), 'nothing is asked of the wallet before the tap').to.deep.equal([]);
    await expect(el).to.be.accessible();

    option.click();
    // Connecting is the very first request, straight from the tap (Safari's popup blocker).
    expect(methods(wallet)).to.deep.equal(['eth_requestAccounts']);
    const pay = await payButton(el);
    expect(pay.textContent!.trim()).to.equal('Pay 12.34 USDC');
    expect(getComputedStyle(pay).display).to.equal('block');
    expect(methods(wallet)).to.include.members([
      'eth_chainId',
      'eth_getBalance',
      'eth_call',
      'eth_estimateGas',
    ]);
    expect(methods(wallet)).to.not.include('eth_sendTransaction');

    pay.click();
    expect(methods(wallet).at(-1), 'sending is the first request after the second tap').to.equal(
      'eth_sendTransaction',
    );
    const [transaction] = await until(
      () => (sent.length ? sent : undefined),
      'checkout-transaction-sent is fired',
    );
    const { txHash, chainId } = transaction!.detail;
    expect(chainId).to.equal(31337);
    expect(transaction!.detail.wallet).to.equal('Dev wallet');

    await until(() => el.status === 'processing', 'the server sees the transfer');
    expect((part(el, 'transfer') as HTMLAnchorElement).href).to.equal(
      `https://explorer.invalid/tx/${txHash}`,
    );
    await stack.mine(1);
    await events.next('checkout-paid');
    const paid = await buyerSession(session);
    expect(paid.transfers).to.have.length(1);
    expect(paid.transfers[0]).to.deep.include({
      tx_hash: txHash,
      from: wallet.address,
      amount: '12.34',
      expected: true,
    });
  });

  it('pays what is still due after an underpayment, and native ETH as a plain transfer', async () => {
    const wallet = await fundedWallet();
    const { el, events, payment } = await mountUsdc();
    await stack.pay(payment.address, '4');
    await stack.mine(1);
    await until(() => el.status === 'underpaid', 'the element shows underpaid');
    (await walletOption(el, 'Dev wallet')).click();
    const pay = await payButton(el);
    expect(pay.textContent!.trim()).to.equal('Pay 6 USDC');
    pay.click();
    await until(() => el.status === 'processing', 'the top-up is seen');
    await stack.mine(1);
    await events.next('checkout-paid');

    const eth = await stack.createSession({ methods: ['eth@anvil'], amount: '2.00' });
    const { el: native } = await mount(eth.client_secret);
    (await walletOption(native, 'Dev wallet')).click();
    const due = (await buyerSession(eth)).payment!;
    expect(due.amount_due).to.equal('0.001');
    (await payButton(native)).click();
    const sentTx = wallet.requests.at(-1)!.params as [{ to: string; value: string; data?: string }];
    expect(sentTx[0]).to.deep.include({ to: due.address, value: '0x38d7ea4c68000' });
    expect(sentTx[0].data).to.equal(undefined);
    await until(() => native.status === 'processing', 'the ETH payment is seen');
  });

  it('falls back to window.ethereum when no wallet announces itself', async () => {
    const wallet = await fundedWallet({ announce: false });
    const page = window as { ethereum?: unknown };
    page.ethereum = Object.assign(Object.create(wallet) as object, { isMetaMask: true });
    try {
      const { el } = await mountUsdc();
      (await walletOption(el, 'MetaMask')).click();
      await payButton(el);
      expect(methods(wallet)[0]).to.equal('eth_requestAccounts');
    } finally {
      delete page.ethereum;
    }
  });

  it('asks the wallet to switch, and to add the chain when it does not know it', async () => {
    const wallet = await fundedWallet({ chainId: 1, knownChains: [1] });
    const { el } = await mountUsdc();
    (await walletOption(el, 'Dev wallet')).click();
    await payButton(el);
    expect(methods(wallet).filter((x) => x.startsWith('wallet_'))).to.deep.equal([
      'wallet_switchEthereumChain',
      'wallet_addEthereumChain',
    ]);
    expect(wallet.added[0]).to.deep.include({ chainId: '0x7a69', chainName: 'Anvil (local)' });
    expect(await wallet.request({ method: 'eth_chainId' })).to.equal('0x7a69');
    expect(text(el, 'pay-button')).to.equal('Pay 10 USDC');
  });

  it('says the buyer declined, offers Try again, and the retry pays', async () => {
    const wallet = await fundedWallet({ reject: ['eth_sendTransaction'] });
    const { el } = await mountUsdc();
    const { errors } = walletEvents(el);
    (await walletOption(el, 'Dev wallet')).click();
    (await payButton(el)).click();

    await until(() => part(el, 'wallet-error'), 'the error is shown');
    expect(walletText(el, 'wallet-error')).to.equal(
      'You declined the request in your wallet; nothing was sent.',
    );
    expect(part(el, 'wallet-error')!.getAttribute('role')).to.equal('alert');
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['wallet_rejected']);
    expect(part(el, 'spinner'), 'no spinner is left spinning').to.equal(null);
    expect(part(el, 'wallet-back')).to.not.equal(null);
    await expect(el).to.be.accessible();

    wallet.rejecting.clear();
    part(el, 'wallet-retry')!.click();
    (await payButton(el)).click();
    await until(() => el.status === 'processing', 'the retried payment is seen');
  });

  it('explains a wallet that stays on another network', async () => {
    const wallet = await fundedWallet({
      chainId: 1,
      knownChains: [1, 31337],
      reject: ['wallet_switchEthereumChain'],
    });
    const { el } = await mountUsdc();
    const { errors } = walletEvents(el);
    (await walletOption(el, 'Dev wallet')).click();
    await until(() => part(el, 'wallet-error'), 'the error is shown');
    expect(walletText(el, 'wallet-error')).to.equal(
      'Your wallet is on another network. Switch it to Anvil (local) (or let it add Anvil (local)), then try again.',
    );
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['wallet_wrong_network']);
    expect(methods(wallet)).to.not.include('eth_sendTransaction');
    expect(part(el, 'wallet-retry')).to.not.equal(null);
  });

  it('warns before sending when the wallet holds too little of the token', async () => {
    const wallet = await fundedWallet({ usdc: '3' });
    const { el } = await mountUsdc();
    const { errors } = walletEvents(el);
    (await walletOption(el, 'Dev wallet')).click();
    await until(() => part(el, 'wallet-error'), 'the warning is shown');
    expect(walletText(el, 'wallet-error')).to.equal(
      'This wallet holds 3 USDC on Anvil (local), but 10 USDC is due. Add funds or choose another wallet.',
    );
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['wallet_insufficient_funds']);
    expect(methods(wallet)).to.not.include('eth_sendTransaction');
  });

  it('warns before sending when the wallet has no coin for the network fee', async () => {
    const wallet = await fundedWallet({ eth: '0' });
    const { el } = await mountUsdc();
    (await walletOption(el, 'Dev wallet')).click();
    await until(() => part(el, 'wallet-error'), 'the warning is shown');
    expect(walletText(el, 'wallet-error')).to.equal(
      'This wallet needs a little ETH on Anvil (local) to pay the network fee, and has too little. Add some, then try again.',
    );
    expect(methods(wallet)).to.not.include('eth_sendTransaction');
  });

  it('Cancel stops waiting for a wallet that does not answer; a disconnect while paying is explained', async () => {
    const wallet = await fundedWallet({ hold: ['eth_requestAccounts'] });
    const { el } = await mountUsdc();
    (await walletOption(el, 'Dev wallet')).click();
    await until(() => part(el, 'wallet-cancel'), 'Cancel is offered while waiting');
    expect(walletText(el, 'wallet-status')).to.equal('Waiting for Dev wallet… Approve the connection there.');
    part(el, 'wallet-cancel')!.click();
    await walletOption(el, 'Dev wallet');
    expect(part(el, 'spinner')).to.equal(null);

    wallet.release('eth_requestAccounts');
    (await walletOption(el, 'Dev wallet')).click();
    await payButton(el);
    wallet.disconnect();
    await until(() => part(el, 'wallet-error'), 'the disconnect is explained');
    expect(walletText(el, 'wallet-error')).to.equal('Your wallet disconnected. Connect it again to pay.');
  });

  it('says so when the transaction is mined but reverts, and nothing counts as paid', async () => {
    // Too little gas for a token transfer: the transaction runs out of gas on chain (status 0).
    const wallet = await fundedWallet({ gas: 30_000n });
    const { el, session } = await mountUsdc();
    const { sent, errors, linked } = walletEvents(el);
    (await walletOption(el, 'Dev wallet')).click();
    (await payButton(el)).click();
    await until(() => part(el, 'wallet-error'), 'the failure is shown');
    // Once sent, the panel showed the hash with a link to the explorer, until the receipt said it failed.
    expect(linked).to.deep.equal([`https://explorer.invalid/tx/${sent[0]!.detail.txHash}`]);
    expect(walletText(el, 'wallet-error')).to.equal(
      'The transaction failed on the network (it was reverted); nothing was paid. Try again.',
    );
    expect(sent).to.have.length(1);
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['wallet_transaction_reverted']);
    expect(methods(wallet)).to.include('eth_getTransactionReceipt');
    expect(part(el, 'wallet-retry')).to.not.equal(null);
    expect((await buyerSession(session)).transfers).to.deep.equal([]);
    expect(el.status).to.equal('open');
  });

  it('pays through WalletConnect up to its provider seam, started once for two checkouts', async () => {
    // The phone's wallet is reached through WalletConnect only: it is not announced on this page.
    const phone = await fundedWallet({ announce: false, hold: ['eth_sendTransaction'] });
    const walletConnect = fakeWalletConnect(phone);
    const one = await stack.createSession({ methods: ['usdc@anvil'] });
    const two = await stack.createSession({ methods: ['usdc@anvil'], amount: '3.00' });
    const first = await create(one.client_secret);
    const second = await create(two.client_secret);
    try {
      for (const { el } of [first, second]) el.setAttribute('walletconnect-project-id', 'test-project-0001');
      document.body.append(first.el, second.el);

      expect(walletConnect.calls, 'nothing starts WalletConnect before a tap').to.have.length(0);
      (await walletOption(first.el, 'WalletConnect')).click();
      const qr = await until(
        () => part(first.el, 'wallet-qr')?.querySelector('svg'),
        'the pairing QR code is shown',
      );
      expect(qr.querySelectorAll('path').length).to.be.greaterThan(0);
      expect((part(first.el, 'wallet-link') as HTMLAnchorElement).getAttribute('href')).to.equal(
        walletConnect.uris[0],
      );
      expect(walletConnect.calls).to.have.length(1);
      expect(walletConnect.calls[0]).to.deep.include({ projectId: 'test-project-0001', chains: [31337] });
      expect(walletConnect.calls[0]!.metadata.url).to.equal(location.origin);
      await expect(first.el).to.be.accessible();

      walletConnect.approve();
      (await payButton(first.el)).click();
      // While the phone confirms, a link brings its app to the front.
      const back = await until(() => part(first.el, 'wallet-link'), 'a link to the wallet app is shown');
      expect(back.getAttribute('href')).to.equal('phonewallet://');
      expect(text(first.el, 'wallet-status')).to.equal('Confirm the payment in Phone wallet…');
      phone.release('eth_sendTransaction');
      await until(() => first.el.status === 'processing', 'the payment is seen');

      (await walletOption(second.el, 'WalletConnect')).click();
      (await payButton(second.el)).click();
      await until(() => second.el.status === 'processing', 'the second payment is seen');
      expect(walletConnect.calls, 'one provider for the page').to.have.length(1);
      expect(walletConnect.uris, 'paired once').to.have.length(1);
      const buyer: BuyerSession = await buyerSession(two);
      expect(buyer.transfers[0]).to.deep.include({ from: phone.address, amount: '3' });
      expect(walletConnect.calls).to.have.length(1);
    } finally {
      first.el.remove();
      second.el.remove();
      walletConnect.restore();
    }
  });

  it('offers WalletConnect only with a project id, and no wallet at all with no-wallet', async () => {
    await fundedWallet({ usdc: '0', eth: '0' });
    const { el } = await mountUsdc();
    await walletOption(el, 'Dev wallet');
    expect(parts(el, 'wallet-option').map((b) => b.dataset.wallet)).to.deep.equal([
      'org.crypto-checkout.dev-wallet',
    ]);
    expect((await buyerSession(await stack.createSession())).walletconnect_project_id).to.equal(null);

    const off = await stack.createSession({ methods: ['usdc@anvil'] });
    const { el: plain } = await create(off.client_secret);
    plain.setAttribute('no-wallet', '');
    document.body.append(plain);
    try {
      await until(() => part(plain, 'address'), 'the address is shown');
      await new Promise((resolve) => requestIdleCallback(resolve));
      await new Promise((resolve) => requestAnimationFrame(resolve));
      expect(part(plain, 'wallet')).to.equal(null);
    } finally {
      plain.remove();
    }
  });
});
