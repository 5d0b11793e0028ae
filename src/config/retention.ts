import { CHANNELS, type Channel } from '../domain/message.ts';
import { isMapping } from './file.ts';
import { didYouMean } from './suggest.ts';

/** Longest retention that can be asked for (100 years): beyond it, write 0 (keep forever). */
export const MAX_RETENTION_DAYS = 36_500;

/** How long final messages are kept (days; 0 = forever), per channel. */
export interface RetentionPolicy {
  /** HERALD_RETENTION_DAYS (default 30). */
  days: number;
  /** The providers file's `retention:` section: a channel's own number of days. */
  channels: Partial<Record<Channel, number>>;
}

/** The days a channel's final messages are kept (0: forever). */
export function retentionDaysOf(policy: RetentionPolicy, channel: Channel): number {
  return policy.channels[channel] ?? policy.days;
}

/**
 * The `retention` section of the providers file: `{email: 90, sms: 7}`, whole days from 0 (keep
 * forever) to MAX_RETENTION_DAYS per channel. Any other key is refused, like everywhere in the file.
 */
export function parseRetentionSection(
  file: Record<string, unknown>,
  days: number,
  problems: string[],
): RetentionPolicy {
  const section = file.retention;
  const channels: Partial<Record<Channel, number>> = {};
  if (section === undefined || section === null) return { days, channels };
  if (!isMapping(section)) {
    problems.push(`retention must be a mapping of channel to days, e.g. {sms: 7, email: 90} (got ${typeof section})`);
    return { days, channels };
  }
  for (const [key, raw] of Object.entries(section)) {
    if (!(CHANNELS as readonly string[]).includes(key)) {
      problems.push(`retention.${key} is not a channel (known: ${CHANNELS.join(', ')})${didYouMean(key, CHANNELS)}`);
      continue;
    }
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_RETENTION_DAYS) {
      problems.push(
        `retention.${key} must be whole days from 0 (keep forever) to ${MAX_RETENTION_DAYS} (got ${JSON.stringify(raw)})`,
      );
      continue;
    }
    channels[key as Channel] = n;
  }
  return { days, channels };
}
