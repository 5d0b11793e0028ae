import type { Ctx } from '../lib/subjects.ts';
import type { SectionResult } from '../lib/results.ts';

/** What a section measures; run.ts adds the machine facts, the command and the time taken. */
export type Measured = Pick<SectionResult, 'about' | 'figures' | 'checks'> &
  Partial<Pick<SectionResult, 'markdown' | 'warning'>>;

export interface Section {
  name: string;
  title: string;
  run(ctx: Ctx): Promise<Measured>;
}

/** Goals of issue 10 ("Performance: … ingest ≥ 0.7×, delivery ≥ 0.6× the bare limit, ahead of BullMQ"). */
export const ISSUE = 'issue 10';
