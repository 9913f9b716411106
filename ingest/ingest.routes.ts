// /i and /i/bulk (spec §2). Minimal first cut: validate, resolve the app, publish, answer after the PubAck.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { findAppByKey, partitionOf, type SdkRequestReceived } from '../projections/index.ts';
import { eventSubject } from '../streams.config.ts';
import type { IngestDeps } from './deps.ts';
import { CountlyReplyError } from './errors.ts';
import { requestParams, sendMessage } from './http.ts';
import { publishEnvelope } from './publisher.ts';

export function registerIngest(app: FastifyInstance, deps: IngestDeps): void {
  const { config } = deps;
  app.route({
    method: ['GET', 'POST'],
    url: '/i',
    handler: async (request, reply) => {
      const params = requestParams(request);
      const appKey = typeof params.app_key === 'string' ? params.app_key : '';
      const deviceId = typeof params.device_id === 'string' ? params.device_id : '';
      if (appKey === '' || deviceId === '') throw new CountlyReplyError(400, 'Missing parameter "app_key" or "device_id"');
      const found = await findAppByKey(deps.db, appKey);
      if (found === undefined) throw new CountlyReplyError(400, 'App does not exist');
      const appId = found._id.toHexString();
      const event: SdkRequestReceived = {
        v: 1,
        type: 'SdkRequestReceived',
        id: randomUUID(),
        requestId: String(request.id),
        appId,
        appKey,
        appTimezone: found.timezone,
        deviceId,
        receivedAtMs: Date.now(),
        ip: request.ip,
        params,
      };
      const subject = eventSubject(config.streams, appId, partitionOf(deviceId, config.streams.partitions));
      await publishEnvelope(deps.js, subject, event, { timeoutMs: config.ingest.publishTimeoutMs });
      return sendMessage(request, reply, 200, 'Success');
    },
  });
}
