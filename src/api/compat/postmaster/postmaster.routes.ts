import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { Type } from '@sinclair/typebox';
import { describeError, readBodiesAsJson } from '../common.ts';
import { documentOnly, RpcAnswer, RpcBody } from '../schemas.ts';
import { handleRpc, RpcCodes, type RpcMethod } from './jsonrpc.ts';
import { postmasterMethods } from './postmaster.methods.ts';

/** Errors before the JSON-RPC layer (no API key, body too large) in JSON-RPC's shape, id null. */
function rpcErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, message } = describeError(err);
  if (status >= 500) req.log.error({ err }, 'unhandled error in the JSON-RPC route');
  // -32001: an implementation-defined server error (§5.1 reserves -32000…-32099 for these).
  const code = status === 401 ? -32001 : status >= 500 ? RpcCodes.internalError : RpcCodes.invalidRequest;
  return reply.status(status).send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

function rpcHandler(methods: ReadonlyMap<string, RpcMethod>) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST') {
      return reply
        .status(405)
        .header('allow', 'POST')
        .send({
          jsonrpc: '2.0',
          error: { code: RpcCodes.invalidRequest, message: 'Invalid Request: JSON-RPC requests are HTTP POSTs' },
          id: null,
        });
    }
    const raw = typeof req.body === 'string' ? req.body : '';
    const answer = await handleRpc(raw, methods, {
      onInternalError: (err, method) => req.log.error({ err, method }, 'JSON-RPC method failed'),
    });
    // Notifications only: nothing to answer (JSON-RPC §6); over HTTP that is 204.
    if (answer === undefined) return reply.status(204).send();
    return reply.type('application/json').send(answer);
  };
}

/**
 * Seed 001, postmaster: JSON-RPC 2.0 at POST /rpc (or, for the separate RPC listener, on every
 * path: postmaster's "path doesn't matter"). The body is read as text whatever its content type
 * so that malformed JSON answers -32700 rather than an HTTP error.
 */
export function postmasterRoutes(deps: AppDeps, opts: { anyPath?: boolean } = {}) {
  const methods = postmasterMethods(deps);
  return async (app: FastifyInstance) => {
    readBodiesAsJson(app, { parse: false });
    app.setErrorHandler(rpcErrorHandler);
    documentOnly(app);
    const schema = {
      tags: ['compat: postmaster (seed 001)'],
      summary: 'JSON-RPC 2.0: Postmaster.Enqueue, Postmaster.UpdatePrefs, Postmaster.GetLastEmail',
      description:
        'One request or a batch. Notifications (no id) are answered 204. Errors before the JSON-RPC layer ' +
        '(no API key, a body too large) are JSON-RPC errors with id null.',
      body: RpcBody,
      response: {
        200: RpcAnswer,
        204: Type.Null({ description: 'Notifications only: nothing to answer' }),
        400: RpcAnswer,
        401: RpcAnswer,
        405: RpcAnswer,
      },
    };
    // The separate listener is not documented (and GET may not carry a body schema).
    if (opts.anyPath) app.all('*', { schema: { hide: true } }, rpcHandler(methods));
    else app.post('/rpc', { schema }, rpcHandler(methods));
  };
}
