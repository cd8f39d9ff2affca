import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from './problem';

export function sendProblem(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers, unexpected } = toProblem(err, req.method, req.url);
  if (unexpected) req.log.error({ err }, 'unhandled error');
  else if (problem.status >= 500) req.log.warn({ err: (err as Error)?.message }, 'dependency unavailable');
  if (reply.sent) return;
  if (headers) for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  void reply.status(problem.status).header('content-type', 'application/problem+json').send(JSON.stringify(problem));
}
