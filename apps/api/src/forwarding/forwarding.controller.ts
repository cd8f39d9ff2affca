import { DESTINATION_SPECS } from '@audit-trail/audit-core';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody, parseQuery } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { createDestinationSchema, deliveriesQuerySchema, replaySchema, updateDestinationSchema } from './destination.schemas';
import { ForwardingService } from './forwarding.service';
import { ReadAuditService } from '../self-audit/read-audit.service';

@Controller('v1/destinations')
@RequiresEntitlement('audit_log')
@RequiresScope('admin')
export class ForwardingController {
  constructor(
    private readonly forwarding: ForwardingService,
    private readonly reads: ReadAuditService,
  ) {}

  @Post()
  @HttpCode(201)
  @Doc({ summary: `Create a forwarding destination (${DESTINATION_SPECS.map((s) => s.label).join(', ')}); secrets are write-only`, body: createDestinationSchema, tag: 'Forwarding' })
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.forwarding.create(p, parseBody(createDestinationSchema, body), meta);
  }

  @Get()
  @Doc({ summary: 'List destinations', tag: 'Forwarding' })
  async list(@CurrentPrincipal() p: Principal) {
    return { data: await this.forwarding.list(p), next_cursor: null };
  }

  @Get(':id')
  @Doc({ summary: 'One destination with its delivery state', tag: 'Forwarding' })
  get(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.forwarding.get(p, id);
  }

  @Patch(':id')
  @Doc({ summary: 'Change, rotate the secret of, disable or re-enable a destination (it resumes from its cursor)', body: updateDestinationSchema, tag: 'Forwarding' })
  update(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.forwarding.update(p, id, parseBody(updateDestinationSchema, body), meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @Doc({ summary: 'Delete a destination', tag: 'Forwarding' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.forwarding.remove(p, id, meta);
  }

  @Post(':id/test')
  @HttpCode(200)
  @Doc({ summary: 'Send one synthetic event and return the receiver’s answer', tag: 'Forwarding' })
  async test(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    const r = await this.forwarding.test(p, id);
    await this.reads.note(p, meta, 'destination.tested', { target: { type: 'destination', id }, metadata: { ok: r.ok, status_code: r.status_code, latency_ms: r.latency_ms, error: r.error ?? null } });
    return r;
  }

  @Get(':id/deliveries')
  @Doc({ summary: 'Delivery attempts, newest first: time, events, status code, latency, error', query: deliveriesQuerySchema, tag: 'Forwarding' })
  async deliveries(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() query: unknown) {
    return { data: await this.forwarding.deliveries(p, id, parseQuery(deliveriesQuerySchema, query).limit), next_cursor: null };
  }

  @Post(':id/replay')
  @HttpCode(202)
  @Doc({ summary: 'Re-deliver a retained time range (sent with Audit-Replay: true)', body: replaySchema, tag: 'Forwarding' })
  replay(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.forwarding.replay(p, id, parseBody(replaySchema, body), meta);
  }
}
