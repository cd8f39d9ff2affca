import { Module } from '@nestjs/common';
import { AccountsController } from '../accounts/accounts.controller';
import { AccountsService } from '../accounts/accounts.service';
import { ApiKeysController } from '../api-keys/api-keys.controller';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { EventsModule } from '../events/events.module';
import { MembersController } from '../members/members.controller';
import { MembersService } from '../members/members.service';
import { RetentionModule } from '../retention/retention.module';
import { AuthController } from './auth.controller';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';
import { PasswordResetService } from './password-reset.service';
import { SecurityController } from './security.controller';
import { SessionsController } from './sessions.controller';
import { AuthService } from './auth.service';
import { SsoService } from '../sso/sso.service';
import { SsoSettingsController, SsoSignInController } from '../sso/sso.controller';

/** Sign-up, sign-in (password, two-factor, reset, single sign-on), sessions, sign-in settings, accounts and workspaces, members and invitations, API keys. */
@Module({
  imports: [EventsModule, RetentionModule],
  controllers: [AuthController, MfaController, SessionsController, SecurityController, SsoSettingsController, SsoSignInController, AccountsController, MembersController, ApiKeysController],
  providers: [AuthService, MfaService, PasswordResetService, SsoService, AccountsService, MembersService, ApiKeysService],
})
export class IdentityModule {}
