/**
 * The live feed of session events behind the event streams (`GET /v1/sessions/:id/events`): one
 * subscriber set per session, one read per change, fanned out in memory.
 * - A stream costs no database query while its session does not change: nothing polls per stream.
 * - Every committed event is announced by `NOTIFY` (`SessionStore.appendEvent`, in the event's own
 *   transaction, whoever writes it: session service, chain watcher, expiry sweep, on any instance).
 *   The feed holds one `LISTEN` for the whole process (`Database.listen`: a dedicated PostgreSQL
 *   connection, or PGlite's own listen/notify — the same code path on both).
 * - A notification for a session with subscribers starts one read of its new events, whose result
 *   goes to every subscriber of that session; notifications arriving during the read coalesce into
 *   at most one more read, and one whose `seq` was already read costs nothing.
 * - After the `LISTEN` connection comes back from a failure, every followed session is re-read; a
 *   slow safety poll ({@link SAFETY_POLL_MS}, one query for all followed sessions, not one per
 *   stream) guards against a notification lost any other way. It is a guard, not the mechanism.
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import { SESSION_EVENTS_CHANNEL, type SessionStore, type StoredEvent } from '../store/session-store.js';

/**
 * How often the feed checks, in one query, whether any followed session has events it has not read:
 * only a guard against lost notifications, so rare.
 */
export const SAFETY_POLL_MS = 30_000;

/** One follower of a session's events (an open event stream). */
export interface FeedSubscriber {
  /**
   * The `seq` of the last event it has; the feed hands it only later ones. `Infinity` until it has
   * read where it starts (then it calls {@link SessionFeed.catchUp}).
   */
  readonly lastSeq: number;
  /** Receives new events, oldest first. */
  deliver(events: StoredEvent[]): void;
}

/** What {@link SessionFeed} needs. */
export interface SessionFeedOptions {
  store: SessionStore;
  /** The safety poll's period, in ms; default {@link SAFETY_POLL_MS}. */
  safetyPollMs?: number | undefined;
}

/** The subscribers of one session and the state of its reads. */
interface Followed {
  subscribers: Set<FeedSubscriber>;
  /** The highest `seq` read or announced for this session. */
  knownSeq: number;
  reading: boolean;
  /** A wake without a `seq` arrived during the read: read once more after it. */
  again: boolean;
  /** The highest `seq` announced during the read: read once more if a subscriber lacks it. */
  pendingSeq: number;
}

/**
 * Fans session events out to the event streams of this process.
 * @example const unsubscribe = await feed.subscribe(id, { lastSeq: 3, deliver: (events) => … });
 */
export class SessionFeed {
  readonly #store: SessionStore;
  readonly #safetyPollMs: number;
  readonly #followed = new Map<string, Followed>();
  #listening: Promise<() => Promise<void>> | null = null;
  #safetyPoll: NodeJS.Timeout | undefined;
  #closed = false;
  /** Reads of session events done by the feed (the benchmark and tests count them). */
  reads = 0;
  /** Where a failed read or safety poll is logged (both retry by themselves); `app.ts` sets the server's. */
  logger: FastifyBaseLogger | undefined;

  constructor(options: SessionFeedOptions) {
    this.#store = options.store;
    this.#safetyPollMs = options.safetyPollMs ?? SAFETY_POLL_MS;
  }

  /**
   * Adds `subscriber` to the session's followers, once the feed listens (the first subscription
   * starts the `LISTEN`); resolves to the function that removes it. Read what the subscriber should
   * start with after this resolves, then call {@link SessionFeed.catchUp}: an event committed in
   * between is then never missed.
   */
  async subscribe(sessionId: string, subscriber: FeedSubscriber): Promise<() => void> {
    await this.#listen();
    let followed = this.#followed.get(sessionId);
    if (!followed) {
      followed = { subscribers: new Set(), knownSeq: 0, reading: false, again: false, pendingSeq: 0 };
      this.#followed.set(sessionId, followed);
    }
    followed.subscribers.add(subscriber);
    return () => this.unsubscribe(sessionId, subscriber);
  }

  /** Removes `subscriber` from the session's followers (what {@link SessionFeed.subscribe}'s result does). */
  unsubscribe(sessionId: string, subscriber: FeedSubscriber): void {
    const followed = this.#followed.get(sessionId);
    if (!followed) return;
    followed.subscribers.delete(subscriber);
    if (!followed.subscribers.size) this.#followed.delete(sessionId);
  }

  /**
   * Reads the session's events again if one may have arrived that `subscriber` lacks: one was read
   * (or announced) beyond its `lastSeq` while it read its start.
   */
  catchUp(sessionId: string, subscriber: FeedSubscriber): void {
    const followed = this.#followed.get(sessionId);
    if (followed && (followed.knownSeq > subscriber.lastSeq || followed.reading)) this.wake(sessionId);
  }

  /**
   * Reads the session's new events for its subscribers; `seq`, when known (from a notification),
   * skips the read if it was already read. Nothing happens for a session nobody follows here.
   */
  wake(sessionId: string, seq?: number): void {
    const followed = this.#followed.get(sessionId);
    if (!followed) return;
    if (seq !== undefined) followed.knownSeq = Math.max(followed.knownSeq, seq);
    if (followed.reading) {
      // Checked when the read ends: the read in flight may already have returned it.
      if (seq === undefined) followed.again = true;
      else followed.pendingSeq = Math.max(followed.pendingSeq, seq);
      return;
    }
    if (seq !== undefined && !this.#behind(followed, seq)) return;
    followed.reading = true;
    void this.#read(sessionId, followed);
  }

  /** Closes the `LISTEN` and stops the safety poll; subscribers stay (their streams end on their own). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#safetyPoll);
    const listening = this.#listening;
    this.#listening = null;
    if (listening) await (await listening.catch(() => async () => undefined))();
  }

  /** A subscriber has not got `seq` yet (it joined after the read that returned it). */
  #behind(followed: Followed, seq: number): boolean {
    for (const subscriber of followed.subscribers) if (subscriber.lastSeq < seq) return true;
    return false;
  }

  async #read(sessionId: string, followed: Followed): Promise<void> {
    try {
      do {
        followed.again = false;
        followed.pendingSeq = 0;
        let from = Infinity;
        for (const subscriber of followed.subscribers) from = Math.min(from, subscriber.lastSeq);
        if (from === Infinity) break;
        this.reads++;
        const events = await this.#store.eventsAfter(sessionId, from);
        const newest = events.at(-1)?.seq ?? from;
        followed.knownSeq = Math.max(followed.knownSeq, newest);
        // Each gets the ones it lacks (a stream that resumed from `Last-Event-ID` may be behind).
        for (const subscriber of [...followed.subscribers]) {
          const fresh = events.filter((event) => event.seq > subscriber.lastSeq);
          if (fresh.length) subscriber.deliver(fresh);
        }
      } while (
        followed.subscribers.size &&
        (followed.again || (followed.pendingSeq > 0 && this.#behind(followed, followed.pendingSeq)))
      );
    } catch (error) {
      this.logger?.warn(
        { err: error },
        'session feed read failed; the next notification or safety poll retries',
      );
    } finally {
      followed.reading = false;
    }
  }

  /** Starts the `LISTEN` (once) and the safety poll. */
  #listen(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('the session feed is closed'));
    if (this.#listening) return this.#listening;
    this.#listening = this.#store.db.listen(
      SESSION_EVENTS_CHANNEL,
      (payload) => {
        const colon = payload.lastIndexOf(':');
        const seq = Number(payload.slice(colon + 1));
        this.wake(payload.slice(0, colon), Number.isSafeInteger(seq) ? seq : undefined);
      },
      () => {
        this.logger?.info('session feed listening again; re-reading every followed session');
        for (const id of this.#followed.keys()) this.wake(id);
      },
    );
    // A failed start is retried by the next subscription.
    this.#listening.catch(() => (this.#listening = null));
    clearInterval(this.#safetyPoll);
    this.#safetyPoll = setInterval(() => void this.#checkAll(), this.#safetyPollMs);
    this.#safetyPoll.unref();
    return this.#listening;
  }

  /** The safety poll: one query for the newest `seq` of every followed session. */
  async #checkAll(): Promise<void> {
    if (!this.#followed.size) return;
    try {
      const latest = await this.#store.latestSeqs([...this.#followed.keys()]);
      for (const [id, seq] of latest) {
        const followed = this.#followed.get(id);
        if (followed && this.#behind(followed, seq)) this.wake(id);
      }
    } catch (error) {
      this.logger?.warn({ err: error }, 'session feed safety poll failed');
    }
  }
}
