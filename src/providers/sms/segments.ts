/**
 * SMS segment counting (3GPP TS 23.038 alphabets, TS 23.040 concatenation). A text that fits the
 * GSM 7-bit default alphabet (with its extension table, whose characters take two septets) is
 * sent as GSM-7: 160 septets in one message, 153 per part when concatenated (the UDH takes 7).
 * Anything else goes as UCS-2: 70 UTF-16 units alone, 67 per part. A part never splits an escape
 * pair or a surrogate pair, as carriers do, so the count is the number of parts a provider bills.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 units (UCS-2) the text takes. */
  units: number;
}

/** Units one message holds alone, and per part when concatenated. */
export const SEGMENT_LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

/** Counts the segments of an SMS text. An empty text is one segment. */
export function countSegments(text: string): SegmentCount {
  const gsm = gsmUnits(text);
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  // Each character's width in units: GSM-7 1 or 2 septets; UCS-2 1 or 2 UTF-16 units.
  const widths = gsm ?? [...text].map((ch) => ch.length);
  const units = widths.reduce((a, b) => a + b, 0);
  const { single, part } = SEGMENT_LIMITS[encoding];
  if (units <= single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const w of widths) {
    if (used + w > part) {
      segments++;
      used = 0;
    }
    used += w;
  }
  return { encoding, segments, units };
}

/** Septet widths of each character, or undefined when a character is not in the GSM alphabet. */
function gsmUnits(text: string): number[] | undefined {
  const out: number[] = [];
  for (const ch of text) {
    if (BASIC.has(ch)) out.push(1);
    else if (EXTENDED.has(ch)) out.push(2);
    else return undefined;
  }
  return out;
}
