/**
 * In-memory CredentialStore for tests and the simulators' demo wiring. Behaves like the Vault-backed store:
 * `load()` returns a copy of what was last saved, `save()` replaces it, and `withRefreshLock` serialises
 * refreshes (FIFO) the way a per-connection advisory lock does across processes. Several adapters sharing one
 * MemoryCredentialStore model several worker processes sharing one Vault secret.
 */
import type { Credentials, CredentialStore } from '../contract.ts';

export class MemoryCredentialStore implements CredentialStore {
  private value: Credentials;
  private lockTail: Promise<void> = Promise.resolve();
  /** Every saved version, oldest first (tests check rotation and that nothing was lost). */
  readonly history: Credentials[] = [];
  loads = 0;
  saves = 0;
  /** When set, the next save() throws this (persist-before-use tests). */
  failNextSave: Error | null = null;

  constructor(initial: Credentials = {}) {
    this.value = structuredClone(initial);
  }

  load(): Promise<Credentials> {
    this.loads++;
    return Promise.resolve(structuredClone(this.value));
  }

  save(credentials: Credentials): Promise<void> {
    if (this.failNextSave) {
      const e = this.failNextSave;
      this.failNextSave = null;
      return Promise.reject(e);
    }
    this.saves++;
    this.value = structuredClone(credentials);
    this.history.push(structuredClone(credentials));
    return Promise.resolve();
  }

  withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lockTail.then(fn);
    this.lockTail = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Synchronous peek (tests). */
  get current(): Credentials {
    return structuredClone(this.value);
  }
}
