/**
 * Local-time send windows, with Intl only (no tz database of our own).
 *
 * `nextOpening(t, zone, window)` answers the first moment ≥ t at which the wall clock in `zone`
 * reads a time in [from, to). `from > to` crosses midnight (22:00–06:00). Wall-clock arithmetic
 * is done on "local milliseconds" (the wall clock read as if it were UTC) and turned back into an
 * instant with the zone's offset; around a DST change, where that shortcut can be wrong (a `from`
 * that falls in the spring-forward gap, an hour that repeats in autumn), we scan minute by minute
 * instead. Offsets and transitions of every current zone fall on whole minutes, so minute steps find
 * the exact moment.
 */
import type { LocalWindow } from './model.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight of `HH:MM`, or undefined when malformed. */
export function parseHhmm(s: string): number | undefined {
  const m = HHMM.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** A problem with a window, or undefined when it is valid. */
export function checkWindow(w: LocalWindow): string | undefined {
  const from = parseHhmm(w.from);
  const to = parseHhmm(w.to);
  if (from === undefined) return 'window.from must be HH:MM (00:00–23:59)';
  if (to === undefined) return 'window.to must be HH:MM (00:00–23:59)';
  if (from === to) return 'window.from and window.to must differ (omit the window to send at any time)';
  return undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `zone` at instant `t`, read as UTC milliseconds. */
export function localMs(t: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second, ms);
}

/** The zone's UTC offset at instant `t`, in milliseconds (Moscow: +3 h). */
export function offsetAt(t: number, zone: string): number {
  return localMs(t, zone) - t;
}

function inWindow(minuteOfDay: number, from: number, to: number): boolean {
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}

/** Whether the wall clock of `zone` at `t` is inside the window. */
export function isOpen(t: number, zone: string, w: LocalWindow): boolean {
  const from = parseHhmm(w.from)!;
  const to = parseHhmm(w.to)!;
  const local = localMs(t, zone);
  const minuteOfDay = (((local % DAY) + DAY) % DAY) / MINUTE;
  return inWindow(minuteOfDay, from, to);
}

/** The first moment ≥ t at which the window is open in `zone`. */
export function nextOpening(t: number, zone: string, w: LocalWindow): number {
  if (isOpen(t, zone, w)) return t;
  const from = parseHhmm(w.from)!;
  const offset = offsetAt(t, zone);
  const local = t + offset;
  let target = Math.floor(local / DAY) * DAY + from * MINUTE;
  if (target <= local) target += DAY;
  // Local → instant: the offset that holds at the target, found from a first guess.
  const guess = target - offset;
  const candidate = target - offsetAt(guess, zone);
  if (candidate > t && offsetAt(candidate, zone) === offset && isOpen(candidate, zone, w)) return candidate;
  return scan(t, zone, w);
}

/** Minute-by-minute search for the opening when an offset change lies between t and the naive answer. */
function scan(t: number, zone: string, w: LocalWindow): number {
  let s = Math.ceil(t / MINUTE) * MINUTE;
  for (let i = 0; i < 3 * 1440; i++, s += MINUTE) if (isOpen(s, zone, w)) return s;
  // Unreachable for a valid window (it opens every day); answer something safe rather than loop.
  return t;
}

/**
 * Memoises `nextOpening` for one instant across zones: a fan-out page computes it once per
 * distinct time zone instead of once per contact.
 */
export function openingsAt(t: number, w: LocalWindow | null): (zone: string) => number {
  if (!w) return () => t;
  const memo = new Map<string, number>();
  return (zone) => {
    let v = memo.get(zone);
    if (v === undefined) {
      v = nextOpening(t, zone, w);
      memo.set(zone, v);
    }
    return v;
  };
}
