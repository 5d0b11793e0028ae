import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signStandardWebhook } from './signing.ts';

test('matches the Standard Webhooks reference vector', () => {
  // Vector from the Standard Webhooks specification's reference libraries.
  const sig = signStandardWebhook(
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    'msg_p5jXN8AQM9LWM0D4loKWxJek',
    1614265330,
    '{"test": 2432232314}',
  );
  assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});
