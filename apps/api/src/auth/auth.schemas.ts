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

export const acceptInvitationSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
});
