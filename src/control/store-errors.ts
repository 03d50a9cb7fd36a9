/**
 * Recognising the store's errors by their stable codes (control-store.ts: every store rejects with
 * VERGE_ERR_CONTROL_NOT_FOUND), whichever store made them.
 */
import { VergeError } from '../errors/verge-error.ts';

export const isNotFound = (err: unknown): boolean => err instanceof VergeError && err.code === 'VERGE_ERR_CONTROL_NOT_FOUND';
