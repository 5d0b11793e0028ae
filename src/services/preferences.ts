import type { Clock } from '../domain/clock.ts';
import { optOutProblem } from '../domain/categories.ts';
import { recipientKey } from '../domain/recipients.ts';
import type { Store } from '../store/store.ts';
import type { KyselyPreferenceRepo, Preference } from '../store/preferences.repo.ts';

export type SetPreferenceResult = { ok: true; preference: Preference } | { ok: false; problem: string };

/** Opt-out preferences (native PUT /v1/preferences, postmaster's UpdatePrefs). */
export class PreferenceService {
  private readonly repo: KyselyPreferenceRepo;
  private readonly clock: Clock;

  constructor(deps: { store: Store; clock: Clock }) {
    this.repo = deps.store.preferences;
    this.clock = deps.clock;
  }

  /** The stored opt-out set, or undefined when the recipient never set one (receives everything). */
  get(recipient: string): Promise<Preference | undefined> {
    return this.repo.get(recipientKey(recipient));
  }

  /** Replaces the opt-out set: 1 = every category welcome; 0 is refused (postmaster's rule). */
  async set(recipient: string, optOut: unknown): Promise<SetPreferenceResult> {
    const problem = optOutProblem(optOut);
    if (problem) return { ok: false, problem: `flags ${problem}` };
    if (!recipient.trim()) return { ok: false, problem: 'recipient is required' };
    return { ok: true, preference: await this.repo.set(recipientKey(recipient), optOut as number, this.clock.now()) };
  }

  clear(recipient: string): Promise<boolean> {
    return this.repo.remove(recipientKey(recipient));
  }
}
