import { Module } from '@nestjs/common';
import { ScimGroupsService } from './scim-groups.service';
import { ScimGroupMappingController, ScimTokensController } from './scim-tokens.controller';
import { ScimController } from './scim.controller';
import { ScimService } from './scim.service';

/** SCIM 2.0 provisioning: /scim/v2/Users for identity providers, and the tokens they use. */
@Module({
  controllers: [ScimController, ScimTokensController, ScimGroupMappingController],
  providers: [ScimService, ScimGroupsService],
})
export class ScimModule {}
