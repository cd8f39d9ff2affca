import { z } from 'zod';

const defaultRole = z.enum(['admin', 'member']).default('member');

export const oidcConnectionSchema = z.strictObject({
  protocol: z.literal('oidc'),
  enabled: z.boolean().default(true),
  default_role: defaultRole,
  /** The issuer URL; its `/.well-known/openid-configuration` is read when saved and at every sign-in. */
  issuer: z.url({ protocol: /^https?$/, message: 'must be the http(s) URL of the issuer' }).max(500),
  client_id: z.string().trim().min(1, 'is required').max(500),
  /** Optional when changing an existing OIDC connection: the stored secret is kept. */
  client_secret: z.string().min(1).max(2000).optional(),
});

export const samlConnectionSchema = z.strictObject({
  protocol: z.literal('saml'),
  enabled: z.boolean().default(true),
  default_role: defaultRole,
  idp_entity_id: z.string().trim().min(1, 'is required').max(1000),
  idp_sso_url: z.url({ protocol: /^https?$/, message: 'must be the http(s) URL of the sign-in endpoint' }).max(1000),
  /** The identity provider's signing certificate, PEM or bare base64. */
  idp_certificate: z.string().trim().min(1, 'is required').max(20_000),
});

export const ssoConnectionSchema = z.discriminatedUnion('protocol', [oidcConnectionSchema, samlConnectionSchema]);
export type SsoConnectionInputBody = z.infer<typeof ssoConnectionSchema>;

export const ssoDomainSchema = z.strictObject({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(/^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, 'must be a domain name such as example.com'),
});

export const ssoEmailSchema = z.strictObject({
  email: z.string().trim().max(320).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address'),
});

export const ssoStartQuerySchema = z.object({
  email: ssoEmailSchema.shape.email,
});
