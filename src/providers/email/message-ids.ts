import { UUID_PATTERN } from '../../domain/ids.ts';

const HERALD_MESSAGE_ID = new RegExp(`^<?(${UUID_PATTERN.replace(/^\^|\$$/g, '')})@[^>]+>?$`, 'i');

/** Herald's message id from a Message-ID Herald wrote (`<id@domain>`), if it is one. */
export function heraldIdOf(messageIdHeader: string | undefined): string | undefined {
  const m = messageIdHeader ? HERALD_MESSAGE_ID.exec(messageIdHeader.trim()) : null;
  return m ? m[1]!.toLowerCase() : undefined;
}
