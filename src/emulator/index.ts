/**
 * The embedded Alibaba Cloud: a loopback HTTP server that the unmodified `@alicloud/*` SDKs talk to.
 * See the README section "The embedded Alibaba Cloud" for the fleet format, admin routes, faults and decisions on unconfirmed behaviour.
 */

export type { CrossAccountAttempt, IssuedSession, Principal, World } from './accounts.js';
export type { AdminInstanceView, EmulatorStats } from './admin.js';
export { EmulatorApiError } from './api-error.js';
export { PER_INSTANCE_CODES } from './ecs.js';
export type { Faults } from './faults.js';
export {
  accountTrustPolicy,
  type FleetAccount,
  type FleetFile,
  type FleetFolder,
  type FleetInstance,
  type FleetRole,
  FleetState,
  type InstanceRecord,
  type InstanceStatus,
  parseFleetFile,
  RD_ACCESS_ROLE,
  trustPolicyFor,
  trustsEcs,
} from './fleet.js';
export { GENERATED_FLEET_SHARES, type GenerateFleetOptions, generateFleet } from './generate.js';
export { type EmulatorHandle, type EmulatorOptions, startEmulator } from './server.js';
export {
  type EmulatorBehaviour,
  type EmulatorService,
  type RpcActionHandler,
  rpcService,
  type ServiceContext,
  type ServiceRequest,
  type ServiceResponse,
} from './service.js';
export {
  type CredentialLookup,
  type CredentialRecord,
  type VerifiedCaller,
  verifyAcs3,
  verifyRpc,
} from './signature.js';
