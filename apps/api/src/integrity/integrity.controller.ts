import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { ReadAuditService } from '../self-audit/read-audit.service';
import { parseBody, parseQuery } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { IntegrityService } from './integrity.service';

const ts = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp' });
const logChoice = { scope: z.enum(['account', 'workspace']).default('account'), workspace_id: z.uuid().optional() };
const verifySchema = z.strictObject({ ...logChoice, from: ts.optional(), to: ts.optional() });
const digestsQuery = z.strictObject({ ...logChoice, from: ts.optional(), to: ts.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const consistencyQuery = z.strictObject({ first: z.uuid(), second: z.uuid() });

@Controller('v1/integrity')
@RequiresEntitlement('audit_log')
@RequiresScope('events:read')
export class IntegrityController {
  constructor(
    private readonly integrity: IntegrityService,
    private readonly reads: ReadAuditService,
  ) {}

  @Get('public-key')
  @Doc({ summary: 'The Ed25519 keys that sign checkpoints, with their validity', tag: 'Integrity' })
  async keys(@CurrentPrincipal() p: Principal) {
    return { data: await this.integrity.publicKeys(p), next_cursor: null };
  }

  @Get('digests')
  @Doc({ summary: 'Signed checkpoints (tree size, root hash, previous hash) of one log, newest first', query: digestsQuery, tag: 'Integrity' })
  async digests(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    return { data: await this.integrity.digests(p, parseQuery(digestsQuery, query)), next_cursor: null };
  }

  @Post('verify')
  @HttpCode(200)
  @Doc({ summary: 'Verify a log against its signed checkpoints: {ok, checked, first_bad}', body: verifySchema, tag: 'Integrity' })
  async verify(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    const choice = parseBody(verifySchema, body ?? {});
    const r = await this.integrity.verify(p, choice);
    await this.reads.note(p, meta, 'integrity.verified', {
      workspaceId: choice.scope === 'workspace' ? (choice.workspace_id ?? null) : null,
      metadata: { ok: r.ok, checked: r.checked, pending: r.pending, problems: r.problems, first_bad: r.first_bad, from: choice.from ?? null, to: choice.to ?? null },
    });
    return r;
  }

  @Get('consistency')
  @Doc({ summary: 'Consistency proof between two checkpoints of one log (RFC 6962)', query: consistencyQuery, tag: 'Integrity' })
  consistency(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const q = parseQuery(consistencyQuery, query);
    return this.integrity.consistency(p, q.first, q.second);
  }
}

@Controller('v1/events')
@RequiresEntitlement('audit_log')
@RequiresScope('events:read')
export class EventProofController {
  constructor(
    private readonly integrity: IntegrityService,
    private readonly reads: ReadAuditService,
  ) {}

  @Get(':id/proof')
  @Doc({ summary: 'Inclusion proof of one event to the newest signed checkpoint covering it', tag: 'Integrity' })
  async proof(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    const proof = await this.integrity.proof(p, id);
    await this.reads.note(p, meta, 'proof.downloaded', { workspaceId: proof.checkpoint.workspace_id ?? null, target: { type: 'event', id }, metadata: { leaf_index: proof.leaf_index, tree_size: proof.tree_size } });
    return proof;
  }
}
