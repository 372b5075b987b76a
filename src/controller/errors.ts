// Failure -> condition reason (docs/operations.md#openstackconfig). Each step of a sync wraps
// its failure in a `SyncError` with the reason; anything unwrapped is classified here.
import { ApiValidationError } from '../api/errors.js';
import { OPENSTACK_CONFIG_REASONS as R } from '../api/openstack-config.js';
import {
  AuthenticationError,
  ContrabassError,
  EndpointNotAllowedError,
  EndpointNotFoundError,
  OpenStackConnectionError,
  OpenStackHttpError,
  SubnetNotFoundError,
  SubnetNotUniqueError,
} from '../openstack/errors.js';
import { isConnectionError, isTransientError } from '../db/pool.js';
import { SlotConflictError } from '../db/repositories.js';

export type SyncReason = (typeof R)[keyof typeof R];

/** A failure of one sync step, with the condition reason the user sees. */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly reason: SyncReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Config errors wait for a spec change (fixed requeue); everything else retries after pollError. */
export function isConfigReason(reason: string): boolean {
  return (
    reason === R.ConfigError ||
    reason === R.SubnetRequired ||
    reason === R.CredentialsError ||
    reason === R.EndpointRefused
  );
}

/** The reason for an error thrown by a step (`step` names what was being done). */
export function classify(
  err: unknown,
  step: 'credentials' | 'discovery' | 'database' | 'delivery',
): SyncError {
  if (err instanceof SyncError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const wrap = (reason: SyncReason, text = message): SyncError => new SyncError(reason, text, { cause: err });
  if (err instanceof ApiValidationError) return wrap(R.ConfigError);
  if (err instanceof EndpointNotAllowedError) return wrap(R.EndpointRefused);
  if (err instanceof ContrabassError) return wrap(R.ContrabassError);
  if (err instanceof AuthenticationError)
    return wrap(R.KeystoneError, /^keystone/i.test(message) ? message : `keystone: ${message}`);
  if (err instanceof SubnetNotFoundError) return wrap(R.SubnetNotFound);
  if (err instanceof SubnetNotUniqueError) return wrap(R.SubnetNotUnique);
  if (err instanceof EndpointNotFoundError) {
    return wrap(/'compute'/.test(message) ? R.NovaError : R.NeutronEndpointError);
  }
  if (err instanceof SlotConflictError) return wrap(R.DatabaseError);
  if (err instanceof OpenStackHttpError || err instanceof OpenStackConnectionError) {
    const service = err.service;
    const operation = err instanceof OpenStackHttpError ? err.operation : '';
    if (service === 'identity') return wrap(R.KeystoneError, `keystone: ${message}`);
    if (service === 'contrabass') return wrap(R.ContrabassError);
    if (service === 'compute') return wrap(R.NovaError);
    if (service === 'network') {
      if (operation.startsWith('subnets') || operation.startsWith('networks'))
        return wrap(R.NeutronSubnetError);
      return wrap(R.NeutronPortError);
    }
  }
  if (step === 'database' || isConnectionError(err) || isTransientError(err)) {
    return wrap(R.DatabaseError, `database: ${message}`);
  }
  if (step === 'credentials') return wrap(R.CredentialsError);
  if (step === 'delivery') return wrap(R.DeliveryError);
  return wrap(R.NeutronPortError);
}
