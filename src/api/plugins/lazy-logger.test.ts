import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify, { LogController } from 'fastify';
import pino from 'pino';
import { lazyChildLogger } from './lazy-logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

test('a request that logs gets a child logger with its request id; one that does not costs no child', async () => {
  const { lines, logger } = capture();
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...a: Parameters<typeof child>) => (children++, child(...a))) as typeof logger.child;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
  });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/loud', async (req) => {
    req.log.info({ extra: 1 }, 'hello');
    req.log.debug('dropped by level');
    return { level: req.log.level };
  });
  await app.ready();
  children = 0; // Fastify's own start-up may make children; count the requests' only
  const quiet = await app.inject({ url: '/quiet' });
  assert.equal(quiet.statusCode, 200);
  assert.equal(children, 0, 'a request that never logs makes no child logger');
  const loud = await app.inject({ url: '/loud' });
  assert.deepEqual(loud.json(), { level: 'info' });
  assert.equal(children, 1);
  const hello = lines.find((l) => l.msg === 'hello');
  assert.ok(hello, 'the line is written');
  assert.equal(hello.extra, 1);
  assert.match(String(hello.reqId), /^req-/);
  assert.equal(lines.filter((l) => l.msg === 'dropped by level').length, 0);
  await app.close();
});

test("a route's own log level still applies to its lazy logger", async () => {
  const { lines, logger } = capture();
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
  });
  app.get('/verbose', { logLevel: 'debug' }, async (req) => {
    req.log.debug('seen at debug');
    return { level: req.log.level };
  });
  await app.ready();
  const r = await app.inject({ url: '/verbose' });
  assert.deepEqual(r.json(), { level: 'debug' });
  assert.equal(lines.filter((l) => l.msg === 'seen at debug').length, 1);
  await app.close();
});
