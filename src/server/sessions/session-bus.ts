import { EventEmitter } from 'node:events';

/**
 * In-process notification that a session has new events. Listeners then read the events from the
 * database, which stays the single source of truth (event streams also poll it, so events written
 * by another instance arrive too).
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
  }

  /** Calls `listener` whenever `sessionId` has new events; returns the unsubscribe function. */
  subscribe(sessionId: string, listener: () => void): () => void {
    this.#emitter.on(sessionId, listener);
    return () => this.#emitter.off(sessionId, listener);
  }
}
