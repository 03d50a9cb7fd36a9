import { VergeError } from './verge-error.ts';

/**
 * A rollout that cannot start or take a command: no locations, a wave naming an unknown location,
 * the revision already served, another deployment of the distribution in progress, a command for
 * a deployment that has ended. 409: the request conflicts with the control plane's state.
 */
export class RolloutError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_ROLLOUT_INVALID', message, 'user', details);
  }
}
