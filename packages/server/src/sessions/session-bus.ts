import { EventEmitter } from 'node:events';

/** The emitter's event for every session (ids are strings, so a symbol cannot collide). */
const ANY_SESSION = Symbol('any session');

/**
 * In-process notification that a session has new events, changed by this instance: it wakes the
 * webhook worker. Event streams follow the session feed instead (`session-feed.ts`), which also
 * hears changes committed by other instances.
 */
export class SessionBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per open event stream; thousands of buyers may watch at once.
    this.#emitter.setMaxListeners(0);
  }

  /** Tells listeners of `sessionId` that it has new events. */
  notify(sessionId: string): void {
    this.#emitter.emit(sessionId);
    this.#emitter.emit(ANY_SESSION);
  }

  /**
   * Calls `listener` whenever any session has new events (the webhook worker wakes on it, since a
   * status change may have queued deliveries); returns the unsubscribe function.
   */
  subscribeAll(listener: () => void): () => void {
    this.#emitter.on(ANY_SESSION, listener);
    return () => this.#emitter.off(ANY_SESSION, listener);
  }

  /** Calls `listener` whenever `sessionId` has new events; returns the unsubscribe function. */
  subscribe(sessionId: string, listener: () => void): () => void {
    this.#emitter.on(sessionId, listener);
    return () => this.#emitter.off(sessionId, listener);
  }
}
