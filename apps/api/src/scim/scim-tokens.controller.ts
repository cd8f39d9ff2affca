import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ROLES } from '@audit-trail/data';
import { ScimGroupsService } from './scim-groups.service';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { ScimService } from './scim.service';

const tokenSchema = z.strictObject({ name: z.string().trim().min(1, 'is required').max(100) });

/** Bearer tokens for an identity provider's SCIM client: shown once, stored hashed. */
@Controller('v1/scim/tokens')
@RequiresScope('admin')
@RequiresEntitlement('scim')
export class ScimTokensController {
  constructor(private readonly scim: ScimService) {}

  @Post()
  @HttpCode(201)
  @Doc({ summary: 'Create a SCIM token (shown once)', body: tokenSchema, tag: 'SCIM' })
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.scim.createToken(p, parseBody(tokenSchema, body).name, meta);
  }

  @Get()
  @Doc({ summary: 'SCIM tokens (never their secrets)', tag: 'SCIM' })
  list(@CurrentPrincipal() p: Principal) {
    return this.scim.listTokens(p);
  }

  @Delete(':id')
  @HttpCode(204)
  @Doc({ summary: 'Revoke a SCIM token', tag: 'SCIM' })
  async revoke(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.scim.revokeToken(p, id, meta);
  }
}

const mappingSchema = z.strictObject({
  role: z.enum(ROLES).nullable(),
  workspace_ids: z.array(z.uuid('must be a workspace id')).max(100).default([]),
});

/** What each SCIM group grants in this account (admins). */
@Controller('v1/scim/groups')
@RequiresScope('admin')
@RequiresEntitlement('scim')
export class ScimGroupMappingController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  @Doc({ summary: 'SCIM groups and the role each grants', tag: 'SCIM' })
  list(@CurrentPrincipal() p: Principal) {
    return this.groups.listForAdmins(p);
  }

  @Put(':id')
  @Doc({ summary: "Map a SCIM group to a role (and, for member, the workspaces its people administer); null maps it to nothing", body: mappingSchema, tag: 'SCIM' })
  map(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.groups.map(p, id, parseBody(mappingSchema, body), meta);
  }
}
