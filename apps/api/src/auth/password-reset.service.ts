import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import { completePasswordReset, createPasswordReset, Database, loginByEmail } from '@audit-trail/data';
import { planOrFree } from '@audit-trail/plans';
import { AppError, ErrorCode } from '../common/errors';
import type { RequestMeta } from '../common/principal';
import { CONFIG } from '../core/tokens';
import { MailerService } from '../core/mailer.service';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { hashPassword } from './passwords';
import { randomToken, sha256 } from './secrets';

export const RESET_TTL_MS = 30 * 60_000;

/**
 * Password reset by email. Asking answers the same whether or not the email
 * has a login (the mail goes out after the answer); the link's token is
 * stored hashed, works once, for 30 minutes; using it ends every session of
 * the person. Both steps are recorded in the person's account log.
 */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger('PasswordReset');

  constructor(
    private readonly db: Database,
    private readonly mailer: MailerService,
    private readonly audit: SelfAuditService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async request(emailInput: string, meta: RequestMeta, origin: string): Promise<void> {
    const email = emailInput.toLowerCase();
    const token = randomToken(32);
    const row = await createPasswordReset(this.db, email, sha256(token), new Date(Date.now() + RESET_TTL_MS));
    if (!row) return;
    if (row.account_id && row.plan) {
      await this.audit.recordNow({
        accountId: row.account_id,
        plan: planOrFree(row.plan).id,
        action: 'auth.password_reset_requested',
        actor: { kind: 'user', userId: row.user_id, email, name: row.name },
        meta,
        target: { type: 'user', id: row.user_id, name: email },
        metadata: { email_sent: this.mailer.enabled },
      });
    }
    if (!this.mailer.enabled) {
      this.logger.warn('a password reset was asked for, but SMTP_URL is not set: no email was sent');
      return;
    }
    const link = `${(this.config.PUBLIC_URL ?? origin).replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`;
    // After the answer, so the time taken says nothing about whether the email exists.
    setImmediate(() => {
      void this.mailer.send({
        to: email,
        subject: 'Reset your Audit Trail password',
        text: `Someone (we hope you) asked to reset the password of ${email} on Audit Trail.\n\nChoose a new password here within 30 minutes:\n${link}\n\nThe link works once. Using it signs you out everywhere.\nIf you did not ask, ignore this email: your password stays as it is.\n`,
      });
    });
  }

  async complete(token: string, password: string, meta: RequestMeta): Promise<{ sessions_ended: number }> {
    const done = await completePasswordReset(this.db, sha256(token), await hashPassword(password));
    if (!done) throw new AppError(ErrorCode.Validation, 'This reset link is not valid, was already used, or has expired; ask for a new one.', [{ path: 'token', message: 'is not valid' }]);
    const login = await loginByEmail(this.db, done.email);
    if (login?.account_id && login.plan) {
      await this.audit.recordNow({
        accountId: login.account_id,
        plan: planOrFree(login.plan).id,
        action: 'auth.password_reset_completed',
        actor: { kind: 'user', userId: done.user_id, email: done.email, name: done.name },
        meta,
        target: { type: 'user', id: done.user_id, name: done.email },
        metadata: { sessions_ended: done.sessions_ended },
      });
    }
    return { sessions_ended: done.sessions_ended };
  }
}
