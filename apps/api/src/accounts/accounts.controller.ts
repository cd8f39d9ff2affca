import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { z } from 'zod';
import { AllowedBeforeMfa, RequiresScope } from '../auth/decorators';
import { notFound } from '../common/errors';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { AccountsService } from './accounts.service';

const workspaceSchema = z.strictObject({ name: z.string().trim().min(1, 'is required').max(100) });

export const uuidPipe = new ParseUUIDPipe({ exceptionFactory: () => notFound('The resource') });

@Controller('v1')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get('account')
  @AllowedBeforeMfa()
  @Doc({ summary: 'The account: plan, entitlements, and who is calling', tag: 'Accounts' })
  account(@CurrentPrincipal() p: Principal) {
    return this.accounts.describe(p);
  }

  @Get('workspaces')
  @Doc({ summary: 'List workspaces', tag: 'Workspaces' })
  async list(@CurrentPrincipal() p: Principal) {
    return { data: await this.accounts.listWorkspaces(p), next_cursor: null };
  }

  @Post('workspaces')
  @RequiresScope('admin')
  @HttpCode(201)
  @Doc({ summary: 'Create a workspace', body: workspaceSchema, tag: 'Workspaces' })
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.accounts.createWorkspace(p, parseBody(workspaceSchema, body).name, meta);
  }

  @Patch('workspaces/:id')
  @RequiresScope('admin')
  @Doc({ summary: 'Rename a workspace', body: workspaceSchema, tag: 'Workspaces' })
  rename(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.accounts.renameWorkspace(p, id, parseBody(workspaceSchema, body).name, meta);
  }

  @Delete('workspaces/:id')
  @RequiresScope('admin')
  @HttpCode(204)
  @Doc({ summary: 'Delete a workspace (its events are kept)', tag: 'Workspaces' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.accounts.deleteWorkspace(p, id, meta);
  }
}
