import { type CredentialField, DESTINATION_FORMATS, DESTINATION_TYPES, destinationFilterSchema, destinationSpec } from '@audit-trail/audit-core';
import { z } from 'zod';

const url = z.string().max(2048);
const secret = z.string().min(16, 'must be at least 16 characters').max(512);
const token = z.string().min(1).max(512);

export const CREDENTIAL_FIELDS: CredentialField[] = ['secret', 'token', 'write_key'];

/** Why a credential field does not belong to a type: it takes another one, or none. */
export function credentialRefusal(type: (typeof DESTINATION_TYPES)[number], field: CredentialField): string {
  const cred = destinationSpec(type).credential;
  if (field === 'secret') return 'only webhooks have a signing secret';
  return cred ? `${type} takes its credential as \`${cred.field}\`` : `${type} takes no credential (its URL is the secret)`;
}

export const createDestinationSchema = z
  .strictObject({
    type: z.enum(DESTINATION_TYPES),
    name: z.string().trim().min(1, 'is required').max(100),
    url: url.optional(),
    secret: secret.optional(),
    token: token.optional(),
    write_key: token.optional(),
    format: z.enum(DESTINATION_FORMATS).default('native'),
    scope: z.enum(['account', 'workspace']).default('account'),
    workspace_id: z.uuid().nullable().optional(),
    filter: destinationFilterSchema.default({ actions: [], categories: [] }),
    enabled: z.boolean().default(true),
  })
  .superRefine((d, ctx) => {
    // What each type needs comes from its spec (libs/audit-core/src/destinations).
    const spec = destinationSpec(d.type);
    if (!d.url && !spec.defaultUrl) ctx.addIssue({ code: 'custom', path: ['url'], message: `is required for ${d.type}` });
    const cred = spec.credential;
    const given = d as Partial<Record<CredentialField, string>>;
    if (cred?.required && !given[cred.field]) ctx.addIssue({ code: 'custom', path: [cred.field], message: `is required for ${d.type}` });
    for (const field of CREDENTIAL_FIELDS) {
      if (given[field] && field !== cred?.field) ctx.addIssue({ code: 'custom', path: [field], message: credentialRefusal(d.type, field) });
    }
    if (d.scope === 'workspace' && !d.workspace_id) ctx.addIssue({ code: 'custom', path: ['workspace_id'], message: 'is required when scope is workspace' });
    if (d.scope === 'account' && d.workspace_id) ctx.addIssue({ code: 'custom', path: ['workspace_id'], message: 'must be empty when scope is account' });
  });
export type CreateDestination = z.output<typeof createDestinationSchema>;

export const updateDestinationSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  url: url.optional(),
  secret: secret.optional(),
  token: token.optional(),
  write_key: token.optional(),
  format: z.enum(DESTINATION_FORMATS).optional(),
  filter: destinationFilterSchema.optional(),
  enabled: z.boolean().optional(),
});
export type UpdateDestination = z.output<typeof updateDestinationSchema>;

export const replaySchema = z
  .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }).optional() })
  .refine((r) => !r.to || Date.parse(r.from) < Date.parse(r.to), { path: ['from'], message: 'must be before `to`' });

export const deliveriesQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });
