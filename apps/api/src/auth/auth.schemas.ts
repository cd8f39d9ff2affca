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
});

/**
 * A new person chooses a name and a password (10+ characters, checked by the
 * service); a person who already has a login proves it with their password
 * and keeps their name.
 */
export const acceptInvitationSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200).optional(),
  password: z.string().min(1, 'is required').max(256),
});

export const switchAccountSchema = z.strictObject({
  account_id: z.uuid('must be an account id'),
});
