import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.ts';
import { MessageService } from './messages.ts';
import type { Ingest } from '../queue/ingest.ts';
import type { Store } from '../store/store.ts';
import { systemClock } from '../domain/clock.ts';

test("a message's attempt budget defaults to its provider's, then its route's, then the global one", () => {
  const file = join(mkdtempSync(join(tmpdir(), 'herald-cfg-')), 'providers.yaml');
  writeFileSync(
    file,
    `providers:
  - { name: bulk, channel: sms, type: outbox, maxAttempts: 20 }
  - { name: mail, channel: email, type: outbox }
`,
  );
  const config = loadConfig({ HERALD_CONFIG: file, HERALD_MAX_ATTEMPTS: '4' });
  const svc = new MessageService({ store: {} as Store, ingest: {} as Ingest, clock: systemClock, config });
  assert.equal(svc.defaultMaxAttempts('sms'), 20, 'the sms route starts with bulk');
  assert.equal(svc.defaultMaxAttempts('sms', 'bulk'), 20);
  assert.equal(svc.defaultMaxAttempts('email', 'mail'), 4, 'a provider without its own budget takes the global one');
  assert.equal(svc.defaultMaxAttempts('webhook'), 4);
  const [m] = svc.compose([{ channel: 'sms', to: '79001234567', text: 'x' }]);
  assert.equal(m!.maxAttempts, 20);
  const [own] = svc.compose([{ channel: 'sms', to: '79001234567', text: 'x', maxAttempts: 2 }]);
  assert.equal(own!.maxAttempts, 2, "the message's own budget wins");
});
