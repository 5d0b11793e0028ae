import { ErrorDefinition } from './schema-kit.ts';
import {
  EmailMessageInput,
  MessageDefinition,
  MessageDetailDefinition,
  SmsMessageInput,
  WebhookMessageInput,
} from '../routes/messages/schemas.ts';

/**
 * The named schemas (components of the OpenAPI document), added with app.addSchema and known to
 * the validators; routes reference them with Named() / `$ref`.
 */
export const SHARED_SCHEMAS: readonly Record<string, unknown>[] = [
  ErrorDefinition,
  EmailMessageInput,
  SmsMessageInput,
  WebhookMessageInput,
  MessageDefinition,
  MessageDetailDefinition,
];
