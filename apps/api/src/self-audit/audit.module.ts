import { Global, Module } from '@nestjs/common';
import { PrincipalResolver } from '../auth/principal.resolver';
import { WorkspaceDirectory } from '../events/workspace-directory';
import { ReadAuditService } from './read-audit.service';
import { SelfAuditService } from './self-audit.service';

/** What every feature uses: who is calling, which workspaces exist, and the platform's record of what was done and read. */
@Global()
@Module({
  providers: [PrincipalResolver, WorkspaceDirectory, SelfAuditService, ReadAuditService],
  exports: [PrincipalResolver, WorkspaceDirectory, SelfAuditService, ReadAuditService],
})
export class AuditModule {}
