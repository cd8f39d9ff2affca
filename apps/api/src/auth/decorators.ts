import { SetMetadata } from '@nestjs/common';
import type { ApiKeyScope } from '@audit-trail/data';
import type { BooleanEntitlement } from '@audit-trail/plans';

export const PUBLIC_KEY = 'audit:public';
export const SCOPE_KEY = 'audit:scope';
export const ENTITLEMENT_KEY = 'audit:entitlement';
export const OPERATOR_KEY = 'audit:operator';
export const VIEWER_KEY = 'audit:viewer';
export const BEFORE_MFA_KEY = 'audit:before-mfa';
export const SCIM_KEY = 'audit:scim';

/** No authentication. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The API-key scope (or the session role that implies it) a route needs. */
export const RequiresScope = (scope: ApiKeyScope) => SetMetadata(SCOPE_KEY, scope);
/** A plan feature; without it the route answers exactly like an unknown route. */
export const RequiresEntitlement = (feature: BooleanEntitlement) => SetMetadata(ENTITLEMENT_KEY, feature);
/** Platform staff only (OPERATOR_TOKEN); the route does not exist without the token. */
export const OperatorOnly = () => SetMetadata(OPERATOR_KEY, true);
/** Read with a viewer token (and nothing else): the embedded viewer's routes. */
export const ViewerRoute = () => SetMetadata(VIEWER_KEY, true);
/** Open to a session whose account requires two-factor before the person has set it up (set-up, sign-out, who am I). */
export const AllowedBeforeMfa = () => SetMetadata(BEFORE_MFA_KEY, true);
/** Authenticated by a SCIM token (and nothing else): /scim/v2. */
export const ScimRoute = () => SetMetadata(SCIM_KEY, true);
