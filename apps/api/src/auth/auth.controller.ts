import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { AppConfig } from '@audit-trail/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { CONFIG } from '../core/tokens';
import { Doc } from '../openapi/doc.decorator';
import { acceptInvitationSchema, loginSchema, passwordResetCompleteSchema, passwordResetRequestSchema, signupSchema, switchAccountSchema } from './auth.schemas';
import { PasswordResetService } from './password-reset.service';
import { AuthService, type NewSession } from './auth.service';
import { AllowedBeforeMfa, Public } from './decorators';
import { SignInThrottlerGuard } from './sign-in-throttler.guard';
import { CSRF_COOKIE, SESSION_COOKIE } from './secrets';

@Controller('v1')
@UseGuards(SignInThrottlerGuard)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly resets: PasswordResetService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  private setCookies(reply: FastifyReply, s: NewSession): void {
    const secure = this.config.NODE_ENV === 'production';
    void reply.setCookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: s.expiresAt });
    void reply.setCookie(CSRF_COOKIE, s.csrfToken, { httpOnly: false, sameSite: 'lax', secure, path: '/', expires: s.expiresAt });
  }

  @Post('signup')
  @Public()
  @HttpCode(201)
  @Doc({ summary: 'Create an account, its owner and a Production workspace; starts a session', body: signupSchema, tag: 'Accounts' })
  async signup(@Body() body: unknown, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const s = await this.auth.signup(parseBody(signupSchema, body), meta);
    this.setCookies(reply, s);
    return { account_id: s.accountId, user_id: s.userId, workspace_id: s.workspaceId, csrf_token: s.csrfToken };
  }

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  @Doc({ summary: 'Sign in; sets the session cookie and returns the CSRF token', body: loginSchema, tag: 'Accounts' })
  async login(@Body() body: unknown, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const s = await this.auth.login(parseBody(loginSchema, body), meta);
    this.setCookies(reply, s);
    return { account_id: s.accountId, user_id: s.userId, csrf_token: s.csrfToken };
  }

  @Post('auth/logout')
  @SkipThrottle()
  @AllowedBeforeMfa()
  @HttpCode(204)
  @Doc({ summary: 'Sign out of the console session', tag: 'Accounts' })
  async logout(@CurrentPrincipal() p: Principal, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.auth.logout(p, meta);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    void reply.clearCookie(CSRF_COOKIE, { path: '/' });
  }

  @Post('auth/switch')
  @HttpCode(200)
  @AllowedBeforeMfa()
  @Doc({ summary: 'Move the console session to another account of the same person; a new session cookie and CSRF token', body: switchAccountSchema, tag: 'Accounts' })
  async switchAccount(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const s = await this.auth.switchAccount(p, parseBody(switchAccountSchema, body), meta);
    this.setCookies(reply, s);
    return { account_id: s.accountId, user_id: s.userId, csrf_token: s.csrfToken };
  }

  @Post('auth/password-reset')
  @Public()
  @HttpCode(202)
  @Doc({ summary: 'Email a password-reset link (30 minutes, one use); answers the same whether or not the email has a login', body: passwordResetRequestSchema, tag: 'Identity' })
  async requestReset(@Body() body: unknown, @Meta() meta: RequestMeta, @Req() req: FastifyRequest) {
    await this.resets.request(parseBody(passwordResetRequestSchema, body).email, meta, `${req.protocol}://${req.headers.host ?? 'localhost'}`);
    return {};
  }

  @Post('auth/password-reset/complete')
  @Public()
  @HttpCode(200)
  @Doc({ summary: "Choose a new password with a reset link's token; every session of the person ends", body: passwordResetCompleteSchema, tag: 'Identity' })
  completeReset(@Body() body: unknown, @Meta() meta: RequestMeta) {
    const input = parseBody(passwordResetCompleteSchema, body);
    return this.resets.complete(input.token, input.password, meta);
  }

  @Post('invitations/:token/accept')
  @Public()
  @HttpCode(201)
  @Doc({ summary: 'Accept an invitation: creates the login (or, with its password, uses an existing one) and starts a session', body: acceptInvitationSchema, tag: 'Members' })
  async accept(@Param('token') token: string, @Body() body: unknown, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const s = await this.auth.acceptInvitation(token, parseBody(acceptInvitationSchema, body), meta);
    this.setCookies(reply, s);
    return { account_id: s.accountId, user_id: s.userId, csrf_token: s.csrfToken };
  }
}
