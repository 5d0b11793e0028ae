import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseForm, twilioSignature, urlVariants, validTwilioSignature } from './signature.ts';

// The vector of PROVIDERS.md (Twilio's own documentation example).
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
};

test('matches Twilio’s documented signature vector', () => {
  assert.equal(twilioSignature('12345', URL_, PARAMS), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.equal(validTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', [URL_], PARAMS), true);
});

test('refuses a wrong token, a changed parameter, an added parameter, a missing signature', () => {
  const sig = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
  assert.equal(validTwilioSignature('54321', sig, [URL_], PARAMS), false);
  assert.equal(validTwilioSignature('12345', sig, [URL_], { ...PARAMS, Digits: '1235' }), false);
  assert.equal(validTwilioSignature('12345', sig, [URL_], { ...PARAMS, Extra: '' }), false);
  assert.equal(validTwilioSignature('12345', undefined, [URL_], PARAMS), false);
  assert.equal(validTwilioSignature('12345', sig, ['https://mycompany.com/myapp.php?foo=1&bar=3'], PARAMS), false);
});

test('accepts the URL with and without its default port', () => {
  assert.deepEqual(urlVariants('https://a.example/x?y=1'), ['https://a.example/x?y=1', 'https://a.example:443/x?y=1']);
  assert.deepEqual(urlVariants('http://a.example:80/x'), ['http://a.example:80/x', 'http://a.example/x']);
  assert.deepEqual(urlVariants('http://a.example:8080/x'), ['http://a.example:8080/x']);
  const signedWithPort = twilioSignature('12345', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', PARAMS);
  assert.equal(validTwilioSignature('12345', signedWithPort, [URL_], PARAMS), true);
  const signedWithout = twilioSignature('12345', URL_, PARAMS);
  assert.equal(
    validTwilioSignature('12345', signedWithout, ['https://mycompany.com:443/myapp.php?foo=1&bar=2'], PARAMS),
    true,
  );
});

test('form parsing keeps every parameter, repeated ones as lists', () => {
  assert.deepEqual(parseForm('A=1&B=%2B1+2&A=2&C='), { A: ['1', '2'], B: '+1 2', C: '' });
});
