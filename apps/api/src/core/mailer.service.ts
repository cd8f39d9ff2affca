import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import { createTransport, type Transporter } from 'nodemailer';
import { CONFIG } from './tokens';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Email over SMTP_URL (nodemailer). Without SMTP_URL nothing is sent and
 * `enabled` is false, so callers can say so. Messages carry links with
 * secrets in them: they are never logged, only their subject and outcome.
 */
@Injectable()
export class MailerService implements OnModuleDestroy {
  private readonly logger = new Logger('Mailer');
  private readonly transport: Transporter | null;

  constructor(@Inject(CONFIG) private readonly config: AppConfig) {
    this.transport = config.SMTP_URL ? createTransport(config.SMTP_URL) : null;
  }

  get enabled(): boolean {
    return this.transport !== null;
  }

  /** Send one message; false (and a log line without its content) when it could not be sent. */
  async send(mail: Mail): Promise<boolean> {
    if (!this.transport) return false;
    try {
      await this.transport.sendMail({ from: this.config.SMTP_FROM, to: mail.to, subject: mail.subject, text: mail.text });
      return true;
    } catch (err) {
      this.logger.warn(`"${mail.subject}" was not sent: ${(err as Error).message}`);
      return false;
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
