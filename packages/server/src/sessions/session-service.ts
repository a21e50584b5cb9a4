import { randomBytes } from 'node:crypto';
import {
  CLIENT_SECRET_SEPARATOR,
  SESSION_ID_PREFIX,
  type BuyerSession,
  type CreateSessionRequest,
  type ReviewReason,
  type Session,
  type SessionEventType,
} from '@crypto-checkout/protocol';
import { DerivationPool } from '../chain/derivation-pool.js';
import type { ChainRail } from '../chain/family.js';
import type { MethodInfo } from '../chain/registry.js';
import type { Config } from '../config.js';
import {
  CurrencyNotSupportedError,
  InvalidRequestError,
  MethodAlreadyChosenError,
  MethodNotAvailableError,
  NotFoundError,
  PaymentInProgressError,
  RateUnavailableError,
  SessionNotCancelableError,
  SessionNotOpenError,
} from '../errors.js';
import { fiatToAtomic, fiatToAtomicFloor, formatAtomic, parseDecimal } from '../money.js';
import { publicBaseUrl } from '../public-url.js';
import type { Currencies } from '../rates/currencies.js';
import type { Pricer, TokenRate } from '../rates/pricer.js';
import type { Queryable } from '../store/database.js';
import type {
  BlockRecord,
  DepositRecord,
  SessionBundle,
  SessionStore,
  StoredEvent,
  TransferRecord,
  WatchedDeposit,
  RecentWatchSeqs,
} from '../store/session-store.js';
import type { SessionBus } from './session-bus.js';
import {
  computeSessionState,
  transfersToCurrentAddress,
  type SessionState,
  type StatePolicy,
} from './session-state.js';
import { toBuyerSession, toMerchantSession, type ViewContext } from './session-view.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Random base62 strings of the given lengths from one CSPRNG draw (rejection sampling keeps them
 * unbiased): a create needs two (its id and client secret), and one `randomBytes` call costs about
 * what two do. Bytes from 248 up are rejected (248 = 4 × 62); twice the length covers the rejections
 * with overwhelming probability, and a shortfall draws again.
 */
function randomTokens(...lengths: number[]): string[] {
  const total = lengths.reduce((sum, n) => sum + n, 0);
  let bytes = randomBytes(total * 2);
  let at = 0;
  return lengths.map((length) => {
    let out = '';
    while (out.length < length) {
      if (at === bytes.length) {
        bytes = randomBytes(total);
        at = 0;
      }
      const byte = bytes[at++]!;
      if (byte < 248) out += BASE62[byte % 62];
    }
    return out;
  });
}

/**
 * A session's status changed, or it gained review reasons (or both): its merchant view after the
 * change, the stored event and when.
 */
export interface StatusChange {
  session: Session;
  event: StoredEvent;
  at: Date;
  /** Whether the status changed (to `session.status`); `false` when only review reasons were added. */
  status_changed: boolean;
  /** Review reasons the session did not have before this change; empty when none were added. */
  new_review_reasons: ReviewReason[];
}

/**
 * Called inside the transaction of a status change or of new review reasons; see
 * {@link SessionService.onStatusChange}.
 */
export type StatusChangeHook = (tx: Queryable, change: StatusChange) => Promise<void>;

/**
 * Runs inside the transaction of every change of a session's computed state — a transfer seen,
 * confirmed, or removed by a reorganisation — with the state as stored: the ledger records confirmed
 * receipts (and reverses unconfirmed ones) here. See {@link SessionService.onStateApplied}.
 */
export type StateAppliedHook = (tx: Queryable, bundle: SessionBundle, state: SessionState) => Promise<void>;

/**
 * Units a buyer may fall short by: `percent` (a decimal string, up to 4 decimals) of the amount due,
 * rounded down so the tolerance never exceeds what the merchant configured.
 * @example toleranceAllowance(10_000_000n, '0.5') // 50_000n
 */
export function toleranceAllowance(amountDue: bigint, percent: string): bigint {
  const { units, scale } = parseDecimal(percent);
  return (amountDue * units) / (100n * 10n ** BigInt(scale));
}

/** The higher of two block numbers either of which may be unknown; `null` when both are. */
function highest(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined) return b ?? null;
  return b === null || b === undefined ? a : Math.max(a, b);
}

/** What choosing a method locks: the method, its rate and the amount due in its units. */
interface ChoiceTerms {
  methodId: string;
  method: MethodInfo;
  rate: TokenRate;
  amountDue: bigint;
}

/** Native-coin amounts are rounded up to this many decimals so buyers can type them. */
const NATIVE_FRACTION_DIGITS = 8;

/** What {@link SessionService} needs. */
export interface SessionServiceOptions {
  store: SessionStore;
  config: Config;
  /** The payment methods on offer, by id (`usdc@base`). */
  methods: Map<string, MethodInfo>;
  /**
   * Each configured chain's family rail, by chain key (`chain/family.ts` → `chainRails`): it derives
   * the deposit addresses (children of the chain's account key) and builds payment URIs.
   */
  rails: Map<string, ChainRail>;
  /** Tells this instance's event streams that a session changed. */
  bus: SessionBus;
  /** Prices tokens in session currencies (live sources or the static table). */
  pricer: Pricer;
  /** The currencies sessions may be priced in, with their decimal places. */
  currencies: Currencies;
  /** Defaults to the real clock. */
  clock?: (() => Date) | undefined;
  /**
   * Deposit addresses derived ahead per chain (`chain/derivation-pool.ts`); defaults to
   * `DERIVATION_POOL_SIZE`, 0 derives each on the spot.
   */
  derivationPoolSize?: number | undefined;
  /**
   * The head block of a chain as its node reports it, or `null` when it cannot tell (unreachable,
   * too slow, unknown chain). Asked when a session with a chosen method is canceled, to order the
   * cancel against transfers the watcher has not reached yet; without it the watcher's cursor is used.
   */
  chainHead?: ((chainId: number) => Promise<number | null>) | undefined;
  /**
   * The backend's public base URL (for `checkout_url`); asked for each view, as it may be known only
   * after listening. Default: `public_url` of the configuration, else its host and port.
   */
  publicUrl?: (() => string) | undefined;
}

/**
 * What a chain watcher found in a block range, to be recorded in one transaction with what it does
 * to the sessions (see {@link SessionService.recordBlockRange}).
 */
export interface BlockRange {
  chainId: number;
  /** First and last block of the range. */
  fromBlock: number;
  toBlock: number;
  /** Transfers to deposit addresses in the range. */
  transfers: TransferRecord[];
  /** Hashes of the range's recent blocks, to notice reorganisations. */
  blocks: BlockRecord[];
  /** Stored block hashes below this block are dropped. */
  keepFrom: number;
  /** The chain's configured confirmations (for transfers that are not the session's chosen token). */
  confirmations: number;
  /** How far below the head block hashes are kept; bounds the search for still-confirming transfers. */
  reorgDepth: number;
  /**
   * Where the chain's cursor stood when the watcher's tick began (`null`: none stored). The range is
   * recorded only if it still stands there (`ChainCursorMovedError` otherwise, nothing written):
   * a leader that lost its lock mid-tick cannot overlap the new one. Without it the cursor only
   * moves forward, unfenced (tests and tools).
   */
  fromCursor?: number | null;
}

/**
 * The session lifecycle: create, choose a method (derives the deposit address and locks the amount),
 * recompute the state after chain activity or expiry, and render views. Every state change is
 * written together with its event in one transaction.
 */
export class SessionService {
  private readonly store: SessionStore;
  private readonly config: Config;
  private readonly methods: Map<string, MethodInfo>;
  private readonly rails: Map<string, ChainRail>;
  private readonly bus: SessionBus;
  private readonly pricer: Pricer;
  private readonly currencies: Currencies;
  private readonly clock: () => Date;
  private readonly publicUrl: () => string;
  private readonly chainHead: (chainId: number) => Promise<number | null>;
  /** Deposit addresses derived ahead of the choices that take them. */
  readonly addresses: DerivationPool;

  constructor(options: SessionServiceOptions) {
    const { config } = options;
    this.store = options.store;
    this.config = config;
    this.methods = options.methods;
    this.rails = options.rails;
    this.addresses = new DerivationPool({
      rails: options.rails,
      reserve: (count) => this.store.reserveDerivationIndexes(count),
      size: options.derivationPoolSize,
    });
    this.bus = options.bus;
    this.pricer = options.pricer;
    this.currencies = options.currencies;
    this.clock = options.clock ?? (() => new Date());
    this.publicUrl = options.publicUrl ?? (() => publicBaseUrl(config));
    this.chainHead = options.chainHead ?? (() => Promise.resolve(null));
    const confirmations = new Map(config.chains.map((c) => [c.id, c.confirmations]));
    this.policy = {
      accept_late_payments: config.accept_late_payments,
      confirmations: (chainId) => confirmations.get(chainId) ?? 1,
    };
  }

  private readonly policy: StatePolicy;
  private readonly statusHooks: StatusChangeHook[] = [];
  private readonly stateHooks: StateAppliedHook[] = [];

  /**
   * Runs `hook` inside the transaction of every change of a session's state (also those that change
   * no status: a confirmation, a second transfer). If it throws, the change rolls back with it.
   */
  onStateApplied(hook: StateAppliedHook): void {
    this.stateHooks.push(hook);
  }

  /**
   * Runs `hook` inside the transaction of every status change (not at creation) and of every change
   * that adds review reasons, after the change and its event are written: what it writes commits
   * with the change or not at all, and if it throws the change rolls back. The webhook outbox hooks
   * in here.
   */
  onStatusChange(hook: StatusChangeHook): void {
    this.statusHooks.push(hook);
  }

  /**
   * Creates a session and its first event (`session.open`). `within` runs inside the creating
   * transaction with the view that will be answered (idempotency stores the answer there, so that the
   * session and its stored answer commit together or not at all).
   */
  async create(
    input: CreateSessionRequest,
    options: { livemode?: boolean; within?: (tx: Queryable, session: Session) => Promise<void> } = {},
  ): Promise<Session> {
    const methodIds = input.methods ?? [...this.methods.keys()];
    const unknown = methodIds.filter((id) => !this.methods.has(id));
    if (unknown.length) {
      throw new MethodNotAvailableError(
        `method(s) not configured on this server: ${unknown.join(', ')}; available: ${[...this.methods.keys()].join(', ')}`,
      );
    }
    if (!methodIds.length) throw new MethodNotAvailableError('no payment method is configured');
    // Links a buyer follows from a live checkout travel over TLS; test mode takes http for local shops.
    if (options.livemode) {
      const insecure = (['success_url', 'cancel_url'] as const).filter(
        (field) => input[field] !== undefined && !/^https:/i.test(input[field]),
      );
      if (insecure.length) {
        throw InvalidRequestError.fields(
          insecure.map((path) => ({
            path,
            message: 'must be an https URL in live mode (http in test mode only)',
          })),
        );
      }
    }
    const minorUnits = this.currencies.minorUnits(input.currency);
    if (minorUnits === null || !this.pricer.supportsCurrency(input.currency)) {
      throw new CurrencyNotSupportedError(
        `sessions cannot be priced in ${input.currency} on this server; supported: ${this.currencies
          .codes()
          .filter((code) => this.pricer.supportsCurrency(code))
          .join(', ')}`,
      );
    }
    const amount = parseDecimal(input.amount);
    if (amount.units === 0n) throw new InvalidRequestError('amount must be greater than 0');
    // Trailing zeros are harmless ("10.00" JPY is 10 yen); only digits the currency has not are refused.
    if (amount.scale > minorUnits && amount.units % 10n ** BigInt(amount.scale - minorUnits) !== 0n) {
      throw InvalidRequestError.fields([
        {
          path: 'amount',
          message: `${input.currency} has ${minorUnits === 0 ? 'no decimal places' : `at most ${minorUnits} decimal places`}`,
        },
      ]);
    }
    const now = this.clock();
    const [idToken, secretToken] = randomTokens(24, 32);
    const id = `${SESSION_ID_PREFIX}${idToken}`;
    const record = {
      id,
      client_secret: `${id}${CLIENT_SECRET_SEPARATOR}${secretToken}`,
      status: 'open' as const,
      amount: input.amount,
      currency: input.currency,
      order_id: input.order_id ?? null,
      metadata: input.metadata ?? {},
      methods: [...new Set(methodIds)],
      success_url: input.success_url ?? null,
      cancel_url: input.cancel_url ?? null,
      created_at: now,
      expires_at: new Date(now.getTime() + (input.expires_in ?? this.config.default_expires_in) * 1000),
      paid_at: null,
      canceled_at: null,
      canceled_at_block: null,
      review_reasons: [],
      livemode: options.livemode ?? false,
      fingerprint: '',
    };
    const bundle: SessionBundle = { session: record, deposit: null, transfers: [], cursors: new Map() };
    const state = computeSessionState(bundle, now, this.policy);
    record.fingerprint = state.fingerprint;
    // The state (already computed) and the view context serve both views: the buyer's is the
    // event's payload and the merchant's starts from it.
    const context = this.viewContext(now);
    const buyer = toBuyerSession(bundle, state, context);
    const view = toMerchantSession(bundle, state, context, buyer);
    const event = { type: 'session.open' as const, payload: buyer, at: now };
    const { within } = options;
    // One statement, atomic on its own, shared with the creates arriving meanwhile (a group
    // commit): no transaction unless something must commit with it.
    if (!within) await this.store.insertSessionGrouped(record, event);
    else {
      await this.store.transaction(async (tx) => {
        await this.store.insertSessionWithEvent(tx, record, event);
        await within(tx, view);
      });
    }
    return view;
  }

  /** Loads a session, or `null` if there is none with this id (grouped with concurrent reads on PGlite: `SessionStore.loadBundleGrouped`). */
  load(id: string): Promise<SessionBundle | null> {
    return this.store.loadBundleGrouped(id);
  }

  /**
   * The buyer picks a method: derive a fresh deposit address and lock the amount due in token
   * units. Choosing the same method again answers the same instructions; another one is refused,
   * because the buyer may already have sent money to the first address. `loaded` is the session as
   * the caller just read it (the route's access check), to spare reading it again.
   *
   * No lock is held while the address is derived: the index is reserved first (a sequence value,
   * never handed out twice) and the address derived from it, usually ahead of time by the derivation
   * pool, and then one statement stores the
   * deposit, the state and the event if the session is still as it was read (its fingerprint).
   * If it changed meanwhile, the choice is checked and written again under the session's row lock,
   * with the same reserved address.
   */
  async choosePayment(
    id: string,
    methodId: string,
    options: { loaded?: SessionBundle | undefined } = {},
  ): Promise<BuyerSession> {
    const method = this.methods.get(methodId);
    let loaded = options.loaded ?? (await this.load(id));
    if (!loaded) throw new NotFoundError(`no session ${id}`);
    // The same method again: the same instructions, requoted first if their lock has run out.
    if (loaded.deposit?.method === methodId) loaded = await this.requoteIfDue(loaded);
    // Priced before any write: a rate source may be slow. Nothing is written if it fails. The rate
    // locks into the deposit for the lock window (`pricing.lock_s`).
    const quote =
      method && !loaded.deposit && loaded.session.methods.includes(methodId)
        ? await this.pricer.rate(method, loaded.session.currency)
        : undefined;
    const now = this.clock();
    const terms = this.choiceTerms(loaded, methodId, quote, now);
    if (!terms) return this.buyerView(loaded, now);
    // A reserved index and its address, derived ahead (chain/derivation-pool.ts); choiceTerms has
    // checked that the method exists, and every configured chain has a rail.
    const { index, address } = await this.addresses.take(terms.method.chain.key);

    const bundle: SessionBundle = { ...loaded, session: { ...loaded.session } };
    bundle.deposit = this.depositFor(bundle, terms, index, address, now);
    const state = computeSessionState(bundle, now, this.policy);
    const before = loaded.session;
    // A choice that changes the status or adds review reasons runs the status hooks: the locked path.
    const quiet =
      state.status === before.status && state.review_reasons.every((r) => before.review_reasons.includes(r));
    if (quiet && state.fingerprint !== before.fingerprint) {
      Object.assign(bundle.session, {
        status: state.status,
        paid_at: state.paid_at,
        review_reasons: state.review_reasons,
        fingerprint: state.fingerprint,
      });
      const type: SessionEventType = 'session.updated';
      const payload = this.buyerView(bundle, now);
      const seq = await this.store.chooseIfUnchanged(
        this.store.db,
        bundle.deposit,
        before.fingerprint,
        state,
        {
          type,
          payload,
          at: now,
        },
      );
      if (seq !== null) {
        this.bus.notify(id);
        return payload;
      }
    }

    const event = await this.store.transaction(async (tx) => {
      const locked = await this.store.loadBundle(tx, id, true);
      if (!locked) throw new NotFoundError(`no session ${id}`);
      const lockedNow = this.clock();
      const lockedTerms = this.choiceTerms(locked, methodId, quote, lockedNow);
      if (!lockedTerms) return null;
      locked.deposit = this.depositFor(locked, lockedTerms, index, address, lockedNow);
      await this.store.insertDeposit(tx, locked.deposit);
      return this.applyState(tx, locked, lockedNow);
    });
    if (event) this.bus.notify(id);
    const after = await this.load(id);
    return this.buyerView(after!, this.clock());
  }

  /**
   * What choosing `methodId` locks for a loaded session: the rate and the amount due; `null` when
   * that method is chosen already (the same instructions are answered again). Throws when the
   * session takes no choice: another method chosen, not open or expired, method not offered, no rate.
   */
  private choiceTerms(
    bundle: SessionBundle,
    methodId: string,
    quoted: TokenRate | undefined,
    now: Date,
  ): ChoiceTerms | null {
    if (bundle.deposit) {
      if (bundle.deposit.method === methodId) return null;
      throw new MethodAlreadyChosenError(`this session is already being paid with ${bundle.deposit.method}`);
    }
    if (bundle.session.status !== 'open' || now >= bundle.session.expires_at) {
      throw new SessionNotOpenError(
        `this session is ${bundle.session.status === 'open' ? 'expired' : bundle.session.status} and takes no payment`,
      );
    }
    const method = this.methods.get(methodId);
    if (!method || !bundle.session.methods.includes(methodId)) {
      throw new MethodNotAvailableError(`method ${methodId} is not offered for this session`);
    }
    if (!quoted) throw new RateUnavailableError(`no ${bundle.session.currency} rate for ${method.token}`);
    return { methodId, method, rate: quoted, amountDue: this.amountDue(bundle, method, quoted.rate) };
  }

  /** The session's price in atomic units of `method` at `rate`, rounded up (never in the buyer's favour). */
  private amountDue(bundle: SessionBundle, method: MethodInfo, rate: string): bigint {
    return fiatToAtomic(
      bundle.session.amount,
      rate,
      method.decimals,
      method.kind === 'native' ? NATIVE_FRACTION_DIGITS : method.decimals,
    );
  }

  /**
   * Token units the buyer may fall short by: the larger of the percentage and the fixed amount in
   * the session's currency (converted at `rate`, rounded down), less than the amount due.
   */
  private allowance(bundle: SessionBundle, method: MethodInfo, rate: string, amountDue: bigint): bigint {
    const percent = toleranceAllowance(amountDue, this.config.underpayment_tolerance_percent);
    const fixedAmount = this.config.underpayment_tolerance_fixed[bundle.session.currency];
    const fixed = fixedAmount ? fiatToAtomicFloor(fixedAmount, rate, method.decimals) : 0n;
    const larger = fixed > percent ? fixed : percent;
    // At least one unit stays due: a tolerance as large as the price would make nothing count as paid.
    return larger < amountDue ? larger : amountDue - 1n;
  }

  /** Until when a rate taken `now` stays locked: the lock window, never past expiry; `null` for fixed rates. */
  private lockUntil(bundle: SessionBundle, rate: TokenRate, now: Date): Date | null {
    if (!rate.moving) return null;
    const until = now.getTime() + this.config.pricing.lock_s * 1000;
    return new Date(Math.min(until, bundle.session.expires_at.getTime()));
  }

  /** The deposit record of a choice, at a reserved index and its derived address. */
  private depositFor(
    bundle: SessionBundle,
    terms: ChoiceTerms,
    index: number,
    address: string,
    now: Date,
  ): DepositRecord {
    const { method, rate, amountDue } = terms;
    const allowance = this.allowance(bundle, method, rate.rate, amountDue);
    return {
      session_id: bundle.session.id,
      method: terms.methodId,
      chain_id: method.chain.id,
      token_symbol: method.token,
      token_address: method.token_address,
      decimals: method.decimals,
      address,
      derivation_index: index,
      amount_due_atomic: amountDue,
      amount_min_atomic: amountDue - allowance,
      rate: rate.rate,
      rate_sources: rate.sources,
      rate_locked_until: this.lockUntil(bundle, rate, now),
      confirmations_required: method.chain.confirmations,
      created_at: now,
      watch_until: new Date(bundle.session.expires_at.getTime() + this.config.monitoring_window * 1000),
    };
  }

  /**
   * Requotes a session whose rate lock has run out with nothing received: a new rate, a new amount
   * due and a new lock, stored with a `session.updated` event (so the stream says so). Answers the
   * session as it is now — unchanged when no requote is due, or when no rate is available (the old
   * amount stands until a rate is; the watcher still values what arrives at the stored rate).
   */
  async requoteIfDue(bundle: SessionBundle): Promise<SessionBundle> {
    const due = (b: SessionBundle, now: Date) =>
      b.deposit?.rate_locked_until &&
      now >= b.deposit.rate_locked_until &&
      now < b.session.expires_at &&
      b.session.status === 'open' &&
      !b.session.canceled_at &&
      transfersToCurrentAddress(b).length === 0;
    if (!due(bundle, this.clock())) return bundle;
    const method = this.methods.get(bundle.deposit!.method);
    if (!method) return bundle;
    let rate: TokenRate;
    try {
      rate = await this.pricer.rate(method, bundle.session.currency);
    } catch (error) {
      if (error instanceof RateUnavailableError) return bundle;
      throw error;
    }
    const event = await this.store.transaction(async (tx) => {
      const locked = await this.store.loadBundle(tx, bundle.session.id, true);
      const now = this.clock();
      if (!locked || !due(locked, now)) return null;
      const amountDue = this.amountDue(locked, method, rate.rate);
      locked.deposit = {
        ...locked.deposit!,
        rate: rate.rate,
        rate_sources: rate.sources,
        rate_locked_until: this.lockUntil(locked, rate, now),
        amount_due_atomic: amountDue,
        amount_min_atomic: amountDue - this.allowance(locked, method, rate.rate, amountDue),
      };
      await this.store.requoteDeposit(tx, locked.deposit);
      // The status stays `open`: the event says that the amount changed.
      return (
        (await this.applyState(tx, locked, now)) ??
        (await this.store.appendEvent(
          tx,
          locked.session.id,
          'session.updated',
          this.buyerView(locked, now),
          now,
        ))
      );
    });
    if (!event) return (await this.load(bundle.session.id)) ?? bundle;
    this.bus.notify(bundle.session.id);
    return (await this.load(bundle.session.id)) ?? bundle;
  }

  /**
   * The buyer goes back to the method list: sets the chosen method, its address and its lock aside,
   * if nothing at all was received on the address (a transfer still confirming counts) and the
   * session is open; otherwise `payment_in_progress`. Without a chosen method it answers the session
   * as is.
   *
   * The deposit is kept as abandoned, not deleted: the buyer may already have sent money to it (an
   * exchange withdrawal not mined yet) or pay its old QR code later. Its address stays watched until
   * the session's `watch_until`; a transfer to it is recorded on the session, never counts toward a
   * method chosen next, and flags the session `paid_to_abandoned_address` (see `computeSessionState`).
   * Choosing again derives a new address from a new index.
   */
  async dropPayment(id: string): Promise<SessionBundle> {
    const event = await this.store.transaction(async (tx) => {
      const bundle = await this.store.loadBundle(tx, id, true);
      if (!bundle) throw new NotFoundError(`no session ${id}`);
      if (!bundle.deposit) return null;
      const now = this.clock();
      // Only transfers to the current address tie the buyer to it (not those to an abandoned one).
      const received = transfersToCurrentAddress(bundle).length;
      if (received) {
        throw new PaymentInProgressError(
          `${received} transfer(s) reached the ${bundle.deposit.method} address; pay the rest there`,
        );
      }
      if (bundle.session.status !== 'open' || now >= bundle.session.expires_at) {
        throw new SessionNotOpenError(
          `this session is ${bundle.session.status === 'open' ? 'expired' : bundle.session.status}; its method cannot change`,
        );
      }
      if (!(await this.store.abandonDepositIfUnpaid(tx, id, now))) {
        throw new PaymentInProgressError('a transfer reached the address; pay the rest there');
      }
      bundle.deposit = null;
      return this.applyState(tx, bundle, now);
    });
    if (event) this.bus.notify(id);
    return (await this.load(id))!;
  }

  /**
   * The current rate of every method the session offers, by method id, from the rate sources (at
   * most one request per pair in flight, and cached): hand them to {@link buyerView} so that each
   * method shows its `quote`. A method without a rate now is left out (its quote is `null`).
   */
  async quotes(bundle: SessionBundle): Promise<Map<string, TokenRate>> {
    const quotes = new Map<string, TokenRate>();
    if (bundle.session.status !== 'open' || bundle.deposit) return quotes;
    await Promise.all(
      bundle.session.methods.map(async (id) => {
        const method = this.methods.get(id);
        if (!method) return;
        try {
          quotes.set(id, await this.pricer.rate(method, bundle.session.currency));
        } catch (error) {
          if (!(error instanceof RateUnavailableError)) throw error;
        }
      }),
    );
    return quotes;
  }

  /**
   * Recomputes a session's state from the database and, if anything the buyer sees changed, stores
   * the new state with its event and notifies listeners. Safe to call any time, from any instance.
   */
  async refresh(id: string): Promise<StoredEvent | null> {
    const event = await this.store.transaction((tx) => this.refreshWithin(tx, id));
    if (event) this.bus.notify(id);
    return event;
  }

  /**
   * The merchant cancels a session. Allowed while nothing was received (also after expiry); a session
   * that received any transfer cannot be canceled, because the buyer's money must be settled or
   * refunded instead. Canceling a canceled session answers it again.
   *
   * The cancel records its chain position, `canceled_at_block`: the highest block of the deposit's
   * chain the server knows — the node's head, asked before the transaction (so a block mined while
   * the cancel commits counts as after it), or the watcher's cursor if that is higher or the node
   * does not answer. A transfer the watcher finds later is ordered against it: at or below it, it was
   * sent before the cancel; above it, after. Either way the session is flagged
   * `canceled_with_payment` (see `computeSessionState`).
   */
  async cancel(id: string): Promise<Session> {
    const before = await this.load(id);
    if (!before) throw new NotFoundError(`no session ${id}`);
    // Only when the cancel can go ahead: a method chosen, not canceled yet, nothing received.
    const chainId = before.deposit?.chain_id;
    const asks = chainId !== undefined && !before.session.canceled_at && !before.transfers.length;
    const head = asks ? await this.chainHead(chainId) : null;
    const event = await this.store.transaction(async (tx) => {
      const bundle = await this.store.loadBundle(tx, id, true);
      if (!bundle) throw new NotFoundError(`no session ${id}`);
      if (bundle.session.canceled_at) return null;
      if (bundle.transfers.length) {
        throw new SessionNotCancelableError(
          `session ${id} has received ${bundle.transfers.length} transfer(s) and is ${bundle.session.status}; it cannot be canceled — settle or refund it instead`,
        );
      }
      const now = this.clock();
      const atBlock = bundle.deposit ? highest(head, bundle.cursors.get(bundle.deposit.chain_id)) : null;
      await this.store.setCanceledAt(tx, id, now, atBlock);
      bundle.session.canceled_at = now;
      bundle.session.canceled_at_block = atBlock;
      return this.applyState(tx, bundle, now);
    });
    if (event) this.bus.notify(id);
    const bundle = await this.load(id);
    return this.merchantView(bundle!, this.clock());
  }

  /** Expires every session whose time is up; returns how many changed. */
  async expireDue(): Promise<number> {
    let changed = 0;
    for (const id of await this.store.sessionsPastExpiry(this.clock())) {
      if (await this.refresh(id)) changed += 1;
    }
    return changed;
  }

  // --- Chain activity: the watchers' only way to the database -----------------------------------

  /** The last block of a chain the watchers processed, or `null` before the first run. */
  chainCursor(chainId: number): Promise<number | null> {
    return this.store.getCursor(this.store.db, chainId);
  }

  /** The stored hash of a processed block, or `null` when it is not (or no longer) kept. */
  storedBlockHash(chainId: number, blockNumber: number): Promise<string | null> {
    return this.store.blockHash(chainId, blockNumber);
  }

  /** Deposit addresses still watched; see `SessionStore.depositsToWatch`. */
  depositsToWatch(afterSeq: number, alsoSeqs: number[], now: Date): Promise<WatchedDeposit[]> {
    return this.store.depositsToWatch(afterSeq, alsoSeqs, now);
  }

  /** The newest deposit numbers stored; see `SessionStore.recentWatchSeqs`. */
  recentWatchSeqs(window: number): Promise<RecentWatchSeqs> {
    return this.store.recentWatchSeqs(window);
  }

  /**
   * Records what a watcher found in a block range — its transfers, the hashes of its recent blocks,
   * the chain's cursor — and recomputes every session it touched (those paid in the range, and those
   * whose transfers were still confirming before it) in ONE transaction, with their events and
   * webhook outbox rows: a crash leaves either all of it or none, never a stored payment whose
   * session was not updated, nor a moved cursor without its transfers. Listeners are told after the
   * commit. Returns the ids of the sessions that changed.
   */
  async recordBlockRange(range: BlockRange): Promise<string[]> {
    const changed = await this.store.transaction(async (tx) => {
      const batch = {
        transfers: range.transfers,
        blocks: range.blocks,
        toBlock: range.toBlock,
        keepFrom: range.keepFrom,
        ...(range.fromCursor !== undefined ? { fromCursor: range.fromCursor } : {}),
      };
      const touched = new Set(await this.store.recordBlocks(tx, range.chainId, batch, this.clock()));
      // Sessions whose transfers were still confirming before this range: their confirmations grew.
      for (const id of await this.store.sessionsConfirmingAt(
        tx,
        range.chainId,
        range.fromBlock - 1,
        range.confirmations,
        range.reorgDepth,
      )) {
        touched.add(id);
      }
      return this.refreshAll(tx, touched);
    });
    this.notify(changed);
    return changed;
  }

  /**
   * Records what a UTXO watcher saw since its cursor, like {@link recordBlockRange} in ONE fenced
   * transaction, with two differences a wallet's view of the chain needs: a transfer may be stored
   * already (first seen in the mempool, now mined: it moves to its block), and transfers may go
   * (`removed`: a mempool payment replaced by a fee bump, dropped, or conflicted). Returns the ids
   * of the sessions that changed.
   */
  async recordWalletSync(
    sync: BlockRange & { removed: { tx_hash: string; log_index: number }[] },
  ): Promise<string[]> {
    const changed = await this.store.transaction(async (tx) => {
      const batch = {
        transfers: [],
        blocks: sync.blocks,
        toBlock: sync.toBlock,
        keepFrom: sync.keepFrom,
        ...(sync.fromCursor !== undefined ? { fromCursor: sync.fromCursor } : {}),
      };
      // The cursor moves first (the fence), then the transfers change.
      await this.store.recordBlocks(tx, sync.chainId, batch, this.clock());
      const touched = new Set(await this.store.upsertTransfers(tx, sync.transfers));
      for (const id of await this.store.removeTransfers(tx, sync.chainId, sync.removed)) touched.add(id);
      for (const id of await this.store.sessionsConfirmingAt(
        tx,
        sync.chainId,
        sync.fromBlock - 1,
        sync.confirmations,
        sync.reorgDepth,
      )) {
        touched.add(id);
      }
      return this.refreshAll(tx, touched);
    });
    this.notify(changed);
    return changed;
  }

  /** Transfers of a chain stored as still in the mempool; see `SessionStore.unconfirmedTransfers`. */
  unconfirmedTransfers(chainId: number): Promise<{ tx_hash: string; log_index: number }[]> {
    return this.store.unconfirmedTransfers(this.store.db, chainId);
  }

  /** The highest derivation index handed out so far (any chain), or -1; see `SessionStore.derivationHighWater`. */
  derivationHighWater(): Promise<number> {
    return this.store.derivationHighWater();
  }

  /**
   * Undoes everything recorded on a chain above `ancestor` after a reorganisation — the dropped
   * blocks' transfers and hashes, the cursor — and recomputes the sessions that lost transfers, in
   * one transaction. Returns how many transfers were removed and which sessions changed. With
   * `fromCursor` it is fenced like {@link SessionService.recordBlockRange}.
   */
  async rewindChain(
    chainId: number,
    ancestor: number,
    fromCursor?: number,
  ): Promise<{ transfers: number; changed: string[] }> {
    const result = await this.store.transaction(async (tx) => {
      const undone = await this.store.rewind(tx, chainId, ancestor, this.clock(), fromCursor);
      return { transfers: undone.transfers, changed: await this.refreshAll(tx, undone.sessions) };
    });
    this.notify(result.changed);
    return result;
  }

  /**
   * Recomputes sessions inside `tx`, in a fixed order so that concurrent writers lock rows alike;
   * returns those that changed. The caller notifies listeners after the commit.
   */
  private async refreshAll(tx: Queryable, ids: Iterable<string>): Promise<string[]> {
    const changed: string[] = [];
    for (const id of [...ids].sort()) if (await this.refreshWithin(tx, id)) changed.push(id);
    return changed;
  }

  /** Recomputes one session inside the caller's transaction (its row locked until the commit). */
  private async refreshWithin(tx: Queryable, id: string): Promise<StoredEvent | null> {
    const bundle = await this.store.loadBundle(tx, id, true);
    return bundle ? this.applyState(tx, bundle, this.clock()) : null;
  }

  /** Tells this instance's listeners (event streams) that these sessions changed. */
  private notify(ids: Iterable<string>): void {
    for (const id of ids) this.bus.notify(id);
  }

  private async applyState(tx: Queryable, bundle: SessionBundle, now: Date): Promise<StoredEvent | null> {
    const state = computeSessionState(bundle, now, this.policy);
    if (state.fingerprint === bundle.session.fingerprint) return null;
    const statusChanged = state.status !== bundle.session.status;
    const type: SessionEventType = statusChanged ? `session.${state.status}` : 'session.updated';
    const newReasons = state.review_reasons.filter((r) => !bundle.session.review_reasons.includes(r));
    await this.store.updateState(tx, bundle.session.id, state);
    for (const hook of this.stateHooks) await hook(tx, bundle, state);
    Object.assign(bundle.session, {
      status: state.status,
      paid_at: state.paid_at,
      review_reasons: state.review_reasons,
      fingerprint: state.fingerprint,
    });
    const event = await this.store.appendEvent(tx, bundle.session.id, type, this.buyerView(bundle, now), now);
    if (statusChanged || newReasons.length) {
      const change: StatusChange = {
        session: this.merchantView(bundle, now),
        event,
        at: now,
        status_changed: statusChanged,
        new_review_reasons: newReasons,
      };
      for (const hook of this.statusHooks) await hook(tx, change);
    }
    return event;
  }

  private viewChains: ViewContext['chains'] | undefined;

  private viewContext(now: Date, quotes?: Map<string, TokenRate>): ViewContext {
    const quote: ViewContext['quote'] = (method, bundle) => {
      if (bundle.session.status !== 'open' || now >= bundle.session.expires_at) return null;
      // Rates just asked for, else cached ones (views rendered for events and webhooks).
      const rate = quotes?.get(method.id) ?? this.pricer.peek(method, bundle.session.currency);
      if (!rate) return null;
      return {
        amount: formatAtomic(this.amountDue(bundle, method, rate.rate), method.decimals),
        rate: rate.rate,
        currency: bundle.session.currency,
        quoted_at: rate.at.toISOString(),
      };
    };
    // The chains are the configuration's: built once, not per view.
    this.viewChains ??= new Map(
      this.config.chains.map((c) => [
        c.id,
        { name: c.name, explorer_url: c.explorer_url ?? null, rail: this.rails.get(c.key)! },
      ]),
    );
    return {
      methods: this.methods,
      chains: this.viewChains,
      now,
      walletconnectProjectId: this.config.walletconnect_project_id ?? null,
      merchant: { name: this.config.merchant_name ?? null, logo_url: this.config.merchant_logo_url ?? null },
      publicUrl: this.publicUrl(),
      quote,
    };
  }

  /** The buyer's view of a loaded session; `quotes` from {@link quotes} price the offered methods. */
  buyerView(bundle: SessionBundle, now = this.clock(), quotes?: Map<string, TokenRate>): BuyerSession {
    return toBuyerSession(
      bundle,
      computeSessionState(bundle, now, this.policy),
      this.viewContext(now, quotes),
    );
  }

  /** The merchant's view of a loaded session; `quotes` as for {@link buyerView}. */
  merchantView(bundle: SessionBundle, now = this.clock(), quotes?: Map<string, TokenRate>): Session {
    return toMerchantSession(
      bundle,
      computeSessionState(bundle, now, this.policy),
      this.viewContext(now, quotes),
    );
  }
}
