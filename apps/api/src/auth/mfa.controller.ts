import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { totpCodeSchema, totpDisableSchema } from './auth.schemas';
import { AllowedBeforeMfa } from './decorators';
import { MfaService } from './mfa.service';
import { SignInThrottlerGuard } from './sign-in-throttler.guard';

@Controller('v1/auth/mfa/totp')
@UseGuards(SignInThrottlerGuard)
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('setup')
  @HttpCode(200)
  @AllowedBeforeMfa()
  @Doc({ summary: 'Start two-factor: a new TOTP secret, its otpauth:// URL and a QR code; confirm with enable', tag: 'Identity' })
  setup(@CurrentPrincipal() p: Principal) {
    return this.mfa.setup(p);
  }

  @Post('enable')
  @HttpCode(200)
  @AllowedBeforeMfa()
  @Doc({ summary: 'Confirm the secret with the current code; answers ten one-use recovery codes, shown once', body: totpCodeSchema, tag: 'Identity' })
  enable(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.mfa.enable(p, parseBody(totpCodeSchema, body).code, meta);
  }

  @Post('disable')
  @HttpCode(204)
  @Doc({ summary: 'Turn two-factor off, with a current code or a recovery code', body: totpDisableSchema, tag: 'Identity' })
  async disable(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    await this.mfa.disable(p, parseBody(totpDisableSchema, body), meta);
  }
}

