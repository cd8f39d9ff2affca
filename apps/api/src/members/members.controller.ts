import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
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
  @Doc({ summary: 'Invite a person; the token is returned to the inviter', body: inviteSchema, tag: 'Members' })
  invite(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.members.invite(p, parseBody(inviteSchema, body), meta);
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

  @Delete('members/:id')
  @HttpCode(204)
  @Doc({ summary: 'Remove a member', tag: 'Members' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.members.remove(p, id, meta);
  }
}
