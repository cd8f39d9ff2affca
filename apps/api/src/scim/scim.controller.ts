import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Put, Query, Req, UseFilters } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ScimRoute } from '../auth/decorators';
import { Meta, type RequestMeta } from '../common/principal';
import { Doc } from '../openapi/doc.decorator';
import { ScimError, scimPatchSchema, scimUserSchema } from './scim';
import { ScimErrorFilter } from './scim-error.filter';
import { ScimGroupsService } from './scim-groups.service';
import { type ScimCaller, ScimService } from './scim.service';

const groupSchema = z.looseObject({
  displayName: z.string().trim().min(1).max(200),
  externalId: z.string().max(256).nullable().optional(),
  members: z.array(z.looseObject({ value: z.string().max(64) })).max(10_000).optional(),
});

const listQuerySchema = z.looseObject({
  filter: z.string().max(500).optional(),
  startIndex: z.coerce.number().int().min(1).optional(),
  count: z.coerce.number().int().min(0).optional(),
});

function caller(req: FastifyRequest): ScimCaller {
  if (!req.scim) throw new ScimError(401, 'Send a SCIM token as `Authorization: Bearer scim_…`.');
  return req.scim;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new ScimError(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), 'invalidValue');
  return r.data;
}

const base = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;
const groupId = (id: string) => {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ScimError(404, `Group ${id} was not found.`);
  return id.toLowerCase();
};
const uuid = (id: string) => {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ScimError(404, `User ${id} was not found.`);
  return id.toLowerCase();
};

/** SCIM 2.0 (RFC 7643/7644) Users and Groups, for identity providers that provision the account's members. */
@Controller('scim/v2')
@ScimRoute()
@UseFilters(ScimErrorFilter)
export class ScimController {
  constructor(
    private readonly scim: ScimService,
    private readonly groups: ScimGroupsService,
  ) {}

  @Get('Users')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: list users (filter `userName eq "…"` or `externalId eq "…"`, startIndex, count)', tag: 'SCIM' })
  list(@Req() req: FastifyRequest, @Query() query: unknown) {
    return this.scim.list(caller(req), parse(listQuerySchema, query ?? {}), base(req));
  }

  @Get('Users/:id')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: one user', tag: 'SCIM' })
  get(@Req() req: FastifyRequest, @Param('id') id: string) {
    return this.scim.get(caller(req), uuid(id), base(req));
  }

  @Post('Users')
  @HttpCode(201)
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: create a user (a member of this account; a new login has no password until reset)', tag: 'SCIM' })
  create(@Req() req: FastifyRequest, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.scim.create(caller(req), parse(scimUserSchema, body), meta, base(req));
  }

  @Put('Users/:id')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: replace a user', tag: 'SCIM' })
  replace(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.scim.replace(caller(req), uuid(id), parse(scimUserSchema, body), meta, base(req));
  }

  @Patch('Users/:id')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: change a user (`active: false` deactivates and ends their sessions at once)', tag: 'SCIM' })
  patch(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.scim.patch(caller(req), uuid(id), parse(scimPatchSchema, body).Operations, meta, base(req));
  }

  @Delete('Users/:id')
  @HttpCode(204)
  @Doc({ summary: 'SCIM: remove a user from the account (their sessions here end)', tag: 'SCIM' })
  async remove(@Req() req: FastifyRequest, @Param('id') id: string, @Meta() meta: RequestMeta) {
    await this.scim.remove(caller(req), uuid(id), meta);
  }

  @Get('Groups')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: list groups (filter `displayName eq "…"`)', tag: 'SCIM' })
  listGroups(@Req() req: FastifyRequest, @Query() query: unknown) {
    return this.groups.list(caller(req), parse(listQuerySchema, query ?? {}), base(req));
  }

  @Get('Groups/:id')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: one group', tag: 'SCIM' })
  getGroup(@Req() req: FastifyRequest, @Param('id') id: string) {
    return this.groups.get(caller(req), groupId(id), base(req));
  }

  @Post('Groups')
  @HttpCode(201)
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: create a group (an admin maps it to a role on the Security page)', tag: 'SCIM' })
  createGroup(@Req() req: FastifyRequest, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.groups.create(caller(req), parse(groupSchema, body), meta, base(req));
  }

  @Put('Groups/:id')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: replace a group and its members', tag: 'SCIM' })
  replaceGroup(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.groups.replace(caller(req), groupId(id), parse(groupSchema, body), meta, base(req));
  }

  @Patch('Groups/:id')
  @Header('content-type', 'application/scim+json')
  @Doc({ summary: 'SCIM: add or remove members, rename', tag: 'SCIM' })
  patchGroup(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.groups.patch(caller(req), groupId(id), parse(scimPatchSchema, body).Operations, meta, base(req));
  }

  @Delete('Groups/:id')
  @HttpCode(204)
  @Doc({ summary: 'SCIM: delete a group (its members lose what it granted)', tag: 'SCIM' })
  async removeGroup(@Req() req: FastifyRequest, @Param('id') id: string, @Meta() meta: RequestMeta) {
    await this.groups.remove(caller(req), groupId(id), meta);
  }
}
