import { z } from 'zod';

export const signupSchema = z.strictObject({
  account_name: z.string().trim().min(1, 'is required').max(200),
  email: z.email('must be an email address').max(320),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
  name: z.string().trim().min(1).max(200).optional(),
});

export const loginSchema = z.strictObject({
  email: z.string().min(1, 'is required').max(320),
  password: z.string().min(1, 'is required').max(256),
  account_id: z.uuid().optional(),
  /** With two-factor on: the 6-digit code from the authenticator app… */
  totp: z.string().regex(/^\d{6}$/, 'must be the 6 digits your authenticator app shows').optional(),
  /** …or one of the recovery codes (each works once). */
  recovery_code: z.string().min(8).max(64).optional(),
});

export const totpCodeSchema = z.strictObject({
  code: z.string().regex(/^\d{6}$/, 'must be the 6 digits your authenticator app shows'),
});

/** Turning two-factor off needs a current code or a recovery code. */
export const totpDisableSchema = z
  .strictObject({
    code: totpCodeSchema.shape.code.optional(),
    recovery_code: z.string().min(8).max(64).optional(),
  })
  .refine((v) => v.code !== undefined || v.recovery_code !== undefined, { message: 'send `code` or `recovery_code`', path: ['code'] });

export const passwordResetRequestSchema = z.strictObject({
  email: z.email('must be an email address').max(320),
});

export const passwordResetCompleteSchema = z.strictObject({
  token: z.string().min(20).max(200),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
});

export const securitySettingsSchema = z
  .strictObject({
    require_mfa: z.boolean().optional(),
    /** Members must sign in with single sign-on (Enterprise); owners keep password and second factor. */
    require_sso: z.boolean().optional(),
  })
  .refine((v) => v.require_mfa !== undefined || v.require_sso !== undefined, { message: 'set require_mfa, require_sso or both', path: [] });

/**
 * A new person chooses a name and a password (10+ characters, checked by the
 * service); a person who already has a login proves it with their password
 * and keeps their name.
 */
export const acceptInvitationSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200).optional(),
  password: z.string().min(1, 'is required').max(256),
  /** An existing login with two-factor on proves it here too. */
  totp: z.string().regex(/^\d{6}$/, 'must be the 6 digits your authenticator app shows').optional(),
  recovery_code: z.string().min(8).max(64).optional(),
});

export const switchAccountSchema = z.strictObject({
  account_id: z.uuid('must be an account id'),
});
