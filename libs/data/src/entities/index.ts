import { Account } from './account.entity';
import { ApiKey } from './api-key.entity';
import { Destination, DestinationDelivery, DestinationReplay } from './destination.entity';
import { Export } from './export.entity';
import { Invitation } from './invitation.entity';
import { LegalHold } from './legal-hold.entity';
import { Membership } from './membership.entity';
import { Session } from './session.entity';
import { StripeEvent } from './stripe-event.entity';
import { User } from './user.entity';
import { Workspace } from './workspace.entity';

export { Account, ApiKey, Destination, DestinationDelivery, DestinationReplay, Export, Invitation, LegalHold, Membership, Session, StripeEvent, User, Workspace };
export { API_KEY_SCOPES, type ApiKeyScope } from './api-key.entity';
export { ROLES, type Role } from './membership.entity';

export const ENTITIES = [Account, Workspace, User, Membership, Session, ApiKey, Invitation, StripeEvent, Export, LegalHold, Destination, DestinationDelivery, DestinationReplay];
export { LEGAL_HOLD_SCOPES, type LegalHoldScope } from './legal-hold.entity';
export { EXPORT_STATUSES, type ExportFormat, type ExportStatus } from './export.entity';
