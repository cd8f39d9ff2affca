import type { ScimMemberRow } from '@audit-trail/data';
import { z } from 'zod';

export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_TOKEN_PREFIX = 'scim_';

/** A SCIM failure, answered in SCIM's own error format (RFC 7644 §3.12). */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: 'invalidFilter' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidValue' | 'noTarget',
  ) {
    super(detail);
  }
}

/** Booleans as identity providers send them: true, "True", "false"… */
const scimBoolean = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False', 'TRUE', 'FALSE']).transform((v) => v.toLowerCase() === 'true')]);

/** The attributes we keep; others a provider sends are accepted and ignored (RFC 7643 lets a service provider do so). */
export const scimUserSchema = z.looseObject({
  userName: z.string().trim().min(3).max(320),
  externalId: z.string().max(256).nullable().optional(),
  displayName: z.string().max(200).nullable().optional(),
  name: z.looseObject({ formatted: z.string().max(200).optional(), givenName: z.string().max(100).optional(), familyName: z.string().max(100).optional() }).nullable().optional(),
  active: scimBoolean.optional(),
});
export type ScimUserInput = z.infer<typeof scimUserSchema>;

export const scimPatchSchema = z.looseObject({
  Operations: z
    .array(
      z.looseObject({
        op: z.string().transform((v) => v.toLowerCase()).pipe(z.enum(['add', 'replace', 'remove'])),
        path: z.string().max(200).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(100),
});

export const activeValue = scimBoolean;

/** One operation of a SCIM PATCH, as parsed. */
export type ScimPatchOp = z.infer<typeof scimPatchSchema>['Operations'][number];

export function displayNameOf(u: Pick<ScimUserInput, 'displayName' | 'name'>): string | null {
  const n = u.name;
  return u.displayName ?? n?.formatted ?? ([n?.givenName, n?.familyName].filter(Boolean).join(' ') || null);
}

export function userResource(m: ScimMemberRow, base: string) {
  return {
    schemas: [SCIM_USER],
    id: m.id,
    ...(m.external_id ? { externalId: m.external_id } : {}),
    userName: m.email,
    ...(m.name ? { name: { formatted: m.name }, displayName: m.name } : {}),
    emails: [{ value: m.email, primary: true, type: 'work' }],
    active: m.deactivated_at === null,
    meta: { resourceType: 'User', created: m.created_at.toISOString(), location: `${base}/scim/v2/Users/${m.id}` },
  };
}

/**
 * The one filter identity providers send before creating a resource:
 * `<attribute> eq "…"` on one of the attributes the resource allows
 * (Users: userName, externalId; Groups: displayName).
 */
export function parseFilter<A extends string>(filter: string | undefined, attributes: readonly A[]): Partial<Record<A, string>> {
  if (!filter) return {};
  const m = /^\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  const attribute = m ? attributes.find((a) => a.toLowerCase() === m[1].toLowerCase()) : undefined;
  if (!m || !attribute) throw new ScimError(400, `Only ${attributes.map((a) => `\`${a} eq "…"\``).join(' and ')} filters are supported here.`, 'invalidFilter');
  return { [attribute]: m[2].replace(/\\(.)/g, '$1') } as Partial<Record<A, string>>;
}
