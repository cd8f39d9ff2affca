import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../common/errors';
import { toProblem } from '../common/problem';
import { SCIM_ERROR, ScimError } from './scim';

/** Errors of /scim/v2 in SCIM's format (RFC 7644 §3.12), as identity providers expect them. */
@Catch()
export class ScimErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    let status: number;
    let detail: string;
    let scimType: string | undefined;
    if (exception instanceof ScimError) {
      ({ status, detail, scimType } = exception);
    } else if (exception instanceof AppError && (exception.code === ErrorCode.Validation || exception.code === ErrorCode.Malformed)) {
      status = 400;
      detail = [exception.detail, ...(exception.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(' ');
      scimType = 'invalidValue';
    } else {
      const { problem, unexpected } = toProblem(exception, req.method, req.url);
      if (unexpected) req.log.error({ err: exception }, 'unhandled error');
      status = problem.status;
      detail = problem.detail;
    }
    if (reply.sent) return;
    void reply
      .status(status)
      .header('content-type', 'application/scim+json')
      .send(JSON.stringify({ schemas: [SCIM_ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail }));
  }
}
