import type { BuyerSession, MethodQuote, Session } from '@crypto-checkout/protocol';
import { eip681Uri } from '../chain/eip681.js';
import type { MethodInfo } from '../chain/registry.js';
import { formatAtomic } from '../money.js';
import { checkoutUrl } from '../public-url.js';
import type { SessionBundle } from '../store/session-store.js';
import type { SessionState } from './session-state.js';

/** Options for rendering session views. */
export interface ViewContext {
  methods: Map<string, MethodInfo>;
  chainNames: Map<number, { name: string; explorer_url: string | null }>;
  now: Date;
  /** The configured WalletConnect project id, passed on to the buyer. */
  walletconnectProjectId?: string | null;
  /** Who the buyer pays (`merchant_name`, `merchant_logo_url`); absent: both `null`. */
  merchant?: { name: string | null; logo_url: string | null };
  /** The backend's public base URL, without a trailing slash, for `checkout_url`. */
  publicUrl: string;
  /**
   * A method's amount at the current (cached) rate for the session, or `null` when none is at hand;
   * absent: every quote is `null`.
   */
  quote?: ((method: MethodInfo, bundle: SessionBundle) => MethodQuote | null) | undefined;
}

const publicMethod = ({ chain: _chain, peg: _peg, ...method }: MethodInfo) => method;

/**
 * The buyer's view of a session: what the element shows. It leaves out metadata, the client secret
 * and internal fields (derivation index, fingerprint), because the client secret that reads it
 * lives in a web page.
 */
export function toBuyerSession(bundle: SessionBundle, state: SessionState, ctx: ViewContext): BuyerSession {
  const { session, deposit } = bundle;
  const chain = deposit ? ctx.chainNames.get(deposit.chain_id) : undefined;
  return {
    id: session.id,
    status: state.status,
    amount: session.amount,
    currency: session.currency,
    order_id: session.order_id,
    methods: session.methods.flatMap((id) => {
      const method = ctx.methods.get(id);
      return method ? [{ ...publicMethod(method), quote: ctx.quote?.(method, bundle) ?? null }] : [];
    }),
    payment: deposit
      ? {
          id: deposit.method,
          token: deposit.token_symbol,
          kind: deposit.token_address ? 'erc20' : 'native',
          token_address: deposit.token_address,
          decimals: deposit.decimals,
          chain_id: deposit.chain_id,
          network: chain?.name ?? `Chain ${deposit.chain_id}`,
          // Chosen: the locked `rate` and `amount_due` stand in for a quote.
          quote: null,
          address: deposit.address,
          amount_due: formatAtomic(deposit.amount_due_atomic, deposit.decimals),
          amount_due_atomic: deposit.amount_due_atomic.toString(),
          rate: deposit.rate,
          rate_locked_until: deposit.rate_locked_until?.toISOString() ?? null,
          rate_sources: deposit.rate_sources,
          confirmations_required: deposit.confirmations_required,
          uri: eip681Uri({
            to: deposit.address,
            chainId: deposit.chain_id,
            amountAtomic: deposit.amount_due_atomic,
            token: deposit.token_address,
          }),
          explorer_url: chain?.explorer_url ?? null,
        }
      : null,
    // Anything recorded on the address, confirming or not, ties the buyer to it.
    can_change_method:
      deposit !== null &&
      state.status === 'open' &&
      ctx.now < session.expires_at &&
      !session.canceled_at &&
      !state.transfers.some((t) => !t.abandoned_address),
    amount_received: deposit ? formatAtomic(state.received_atomic, deposit.decimals) : null,
    amount_remaining: deposit ? formatAtomic(state.remaining_atomic, deposit.decimals) : null,
    amount_overpaid: deposit ? formatAtomic(state.overpaid_atomic, deposit.decimals) : null,
    pay_uri:
      deposit && state.payable_atomic > 0n
        ? eip681Uri({
            to: deposit.address,
            chainId: deposit.chain_id,
            amountAtomic: state.payable_atomic,
            token: deposit.token_address,
          })
        : null,
    amount_payable:
      deposit && state.payable_atomic > 0n ? formatAtomic(state.payable_atomic, deposit.decimals) : null,
    watch_until: deposit?.watch_until.toISOString() ?? null,
    transfers: state.transfers.map((t) => ({
      chain_id: t.chain_id,
      network: ctx.chainNames.get(t.chain_id)?.name ?? `Chain ${t.chain_id}`,
      token: t.token_symbol,
      token_address: t.token_address,
      tx_hash: t.tx_hash,
      log_index: t.log_index < 0 ? null : t.log_index,
      block_number: t.block_number,
      block_hash: t.block_hash,
      block_time: t.block_time.toISOString(),
      from: t.from_address,
      amount: formatAtomic(t.amount_atomic, t.decimals),
      amount_atomic: t.amount_atomic.toString(),
      confirmations: t.confirmations,
      confirmations_required: t.confirmations_required,
      confirmed: t.confirmed,
      expected: t.expected,
      late: t.late,
      to: t.address,
      abandoned_address: t.abandoned_address,
      seen_at: t.seen_at.toISOString(),
    })),
    success_url: session.success_url,
    cancel_url: session.cancel_url,
    created_at: session.created_at.toISOString(),
    expires_at: session.expires_at.toISOString(),
    paid_at: state.paid_at?.toISOString() ?? null,
    canceled_at: session.canceled_at?.toISOString() ?? null,
    server_time: ctx.now.toISOString(),
    walletconnect_project_id: ctx.walletconnectProjectId ?? null,
    merchant: ctx.merchant ?? { name: null, logo_url: null },
  };
}

/**
 * The merchant's view (secret key): the buyer's view plus metadata, the client secret and the hosted
 * checkout page's URL (which carries the client secret, so the buyer's view has no need of it).
 */
export function toMerchantSession(bundle: SessionBundle, state: SessionState, ctx: ViewContext): Session {
  return {
    ...toBuyerSession(bundle, state, ctx),
    metadata: bundle.session.metadata as Session['metadata'],
    review_reasons: state.review_reasons,
    livemode: bundle.session.livemode,
    client_secret: bundle.session.client_secret,
    checkout_url: checkoutUrl(ctx.publicUrl, bundle.session.id, bundle.session.client_secret),
  };
}
