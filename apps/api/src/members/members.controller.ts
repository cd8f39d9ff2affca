import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { inviteSchema, MembersService, updateMemberSchema } from './members.service';

@Controller('v1')
@RequiresScope('admin')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get('members')
  @Doc({ summary: 'List members and pending invitations', tag: 'Members' })
  list(@CurrentPrincipal() p: Principal) {
    return this.members.list(p);
  }

  @Post('members/invitations')
  @HttpCode(201)
  @Doc({ summary: 'Invite a person; the token is returned to the inviter, and emailed to the person when SMTP_URL is set', body: inviteSchema, tag: 'Members' })
  invite(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta, @Req() req: FastifyRequest) {
    return this.members.invite(p, parseBody(inviteSchema, body), meta, `${req.protocol}://${req.headers.host ?? 'localhost'}`);
  }

  @Delete('members/invitations/:id')
  @HttpCode(204)
  @Doc({ summary: 'Revoke a pending invitation: its link stops working', tag: 'Members' })
  async revokeInvitation(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.members.revokeInvitation(p, id, meta);
  }

  @Patch('members/:id')
  @Doc({ summary: "Change a member's role or administered workspaces", body: updateMemberSchema, tag: 'Members' })
  update(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.members.update(p, id, parseBody(updateMemberSchema, body), meta);
  }

  @Delete('members/:id/sessions')
  @HttpCode(200)
  @Doc({ summary: "End every session a member has in this account", tag: 'Members' })
  endSessions(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    return this.members.endSessions(p, id, meta);
  }

  @Delete('members/:id')
  @HttpCode(204)
  @Doc({ summary: 'Remove a member', tag: 'Members' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.members.remove(p, id, meta);
  }
}
