import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, type Principal } from '../common/principal';
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
  constructor(private readonly integrity: IntegrityService) {}

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
  verify(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    return this.integrity.verify(p, parseBody(verifySchema, body ?? {}));
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
  constructor(private readonly integrity: IntegrityService) {}

  @Get(':id/proof')
  @Doc({ summary: 'Inclusion proof of one event to the newest signed checkpoint covering it', tag: 'Integrity' })
  proof(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.integrity.proof(p, id);
  }
}
