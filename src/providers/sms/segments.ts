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

/** Septets per UTF-16 unit: 1 basic, 2 extension table, 0 not in the alphabet. Every GSM character is in the BMP. */
const GSM_WIDTH = new Uint8Array(0x10000);
for (const ch of GSM_BASIC) GSM_WIDTH[ch.charCodeAt(0)] = 1;
for (const ch of GSM_EXTENDED) GSM_WIDTH[ch.charCodeAt(0)] = 2;

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

/**
 * Counts the segments of an SMS text; an empty text is one segment. Runs on every SMS at
 * ingest, so it allocates nothing: one pass to choose the encoding and count units, a second
 * only for texts longer than one message.
 */
export function countSegments(text: string): SegmentCount {
  let units = 0;
  let gsm = true;
  for (let i = 0; i < text.length; i++) {
    const w = GSM_WIDTH[text.charCodeAt(i)]!;
    if (w === 0) {
      gsm = false;
      break;
    }
    units += w;
  }
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  if (!gsm) units = text.length;
  const { single, part } = SEGMENT_LIMITS[encoding];
  if (units <= single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A character's width: GSM-7 escape pairs are 2 septets; UCS-2 surrogate pairs are 2 units.
    let w = 1;
    if (gsm) w = GSM_WIDTH[c]!;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      w = 2;
      i++;
    }
    if (used + w > part) {
      segments++;
      used = 0;
    }
    used += w;
  }
  return { encoding, segments, units };
}
