import type { BuyerSession, MethodQuote, Session } from '@crypto-checkout/protocol';
import { eip681Uri } from '../chain/evm/eip681.js';
import type { ChainRail } from '../chain/family.js';
import type { MethodInfo } from '../chain/registry.js';
import { formatAtomic } from '../money.js';
import { checkoutUrl } from '../public-url.js';
import { UNCONFIRMED_BLOCK, type SessionBundle } from '../store/session-store.js';
import type { SessionState } from './session-state.js';

/** Options for rendering session views. */
export interface ViewContext {
  methods: Map<string, MethodInfo>;
  /** The configured chains by their database number: name, explorer and family rail (payment URIs). */
  chains: Map<number, { name: string; explorer_url: string | null; rail: ChainRail }>;
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
 * A chain's id on the wire: its EIP-155 id, `null` for a chain without one. A chain no longer
 * configured is judged by its number: UTXO chains have negative ones (`chain/family.ts`).
 */
const wireChainId = (ctx: ViewContext, chainId: number): number | null =>
  ctx.chains.get(chainId)?.rail.wireChainId ?? (chainId > 0 ? chainId : null);

/**
 * The buyer's view of a session: what the element shows. It leaves out metadata, the client secret
 * and internal fields (derivation index, fingerprint), because the client secret that reads it
 * lives in a web page.
 */
export function toBuyerSession(bundle: SessionBundle, state: SessionState, ctx: ViewContext): BuyerSession {
  const { session, deposit } = bundle;
  const chain = deposit ? ctx.chains.get(deposit.chain_id) : undefined;
  const family = chain?.rail.family ?? (deposit && deposit.chain_id < 0 ? 'utxo' : 'evm');
  // The payment URI of `atomic` to the deposit address, by the chain's family (EIP-681, BIP21, …).
  // A chain no longer configured: EVM's EIP-681 as before families existed, nothing for others.
  const uri = (atomic: bigint) => {
    if (!deposit) return '';
    const request = {
      to: deposit.address,
      amountAtomic: atomic,
      token: deposit.token_address,
      decimals: deposit.decimals,
      label: ctx.merchant?.name ?? undefined,
    };
    if (chain) return chain.rail.paymentUri(request);
    return deposit.chain_id > 0 ? eip681Uri({ ...request, chainId: deposit.chain_id }) : '';
  };
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
          kind: deposit.token_address ? (family === 'tron' ? 'trc20' : 'erc20') : 'native',
          family,
          token_address: deposit.token_address,
          decimals: deposit.decimals,
          chain_id: wireChainId(ctx, deposit.chain_id),
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
          uri: uri(deposit.amount_due_atomic),
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
    pay_uri: deposit && state.payable_atomic > 0n ? uri(state.payable_atomic) : null,
    amount_payable:
      deposit && state.payable_atomic > 0n ? formatAtomic(state.payable_atomic, deposit.decimals) : null,
    watch_until: deposit?.watch_until.toISOString() ?? null,
    transfers: state.transfers.map((t) => ({
      chain_id: wireChainId(ctx, t.chain_id),
      network: ctx.chains.get(t.chain_id)?.name ?? `Chain ${t.chain_id}`,
      token: t.token_symbol,
      token_address: t.token_address,
      tx_hash: t.tx_hash,
      log_index: t.log_index < 0 ? null : t.log_index,
      block_number: t.block_number === UNCONFIRMED_BLOCK ? null : t.block_number,
      block_hash: t.block_number === UNCONFIRMED_BLOCK ? null : t.block_hash,
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
 * Pass `buyer` when the buyer's view of the same state is built anyway (a create's event): it is
 * then not built twice.
 */
export function toMerchantSession(
  bundle: SessionBundle,
  state: SessionState,
  ctx: ViewContext,
  buyer: BuyerSession = toBuyerSession(bundle, state, ctx),
): Session {
  return {
    ...buyer,
    metadata: bundle.session.metadata as Session['metadata'],
    review_reasons: state.review_reasons,
    livemode: bundle.session.livemode,
    client_secret: bundle.session.client_secret,
    checkout_url: checkoutUrl(ctx.publicUrl, bundle.session.id, bundle.session.client_secret),
  };
}
