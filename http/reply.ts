// Countly's two response writers (spec §1.3): the message writer `{"result": ...}` with a status,
// and the output writer (the raw value, always 200); both JSONP-wrapped when asked.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeMessageValue, escapeOutputValue, isTruthyParam, wrapJsonp } from './escape.ts';

/** The JSONP callback comes from the query string only, as in Countly. */
function callbackOf(request: FastifyRequest): unknown {
  const q = request.query;
  return typeof q === 'object' && q !== null && 'callback' in q ? q.callback : undefined;
}

/** Sends a JSON text with Countly's headers, wrapped as JSONP when a valid `callback` is given. */
export function sendJsonText(request: FastifyRequest, reply: FastifyReply, status: number, json: string): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', 'application/json; charset=utf-8')
    .send(wrapJsonp(callbackOf(request), json));
}

/** Countly's message writer: `{"result": <message>}` with a status (spec §1.3). */
export function sendMessage(request: FastifyRequest, reply: FastifyReply, status: number, result: unknown, extra?: Record<string, unknown>): FastifyReply {
  return sendJsonText(request, reply, status, JSON.stringify({ result: escapeMessageValue(result), ...extra }));
}

/** Countly's output writer: the raw value, HTML-escaped unless `noescape`, always 200 (spec §1.3). */
export function sendOutput(request: FastifyRequest, reply: FastifyReply, params: Readonly<Record<string, unknown>>, value: unknown): FastifyReply {
  const body = isTruthyParam(params.noescape) ? value : escapeOutputValue(value);
  return sendJsonText(request, reply, 200, JSON.stringify(body) ?? 'null');
}
