/** One page of a list, and the check of the limit and offset that ask for it. */
import { AppError } from '../errors/app-error.js';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function checkPage(limit: number, offset: number, maxLimit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) throw new AppError('request.invalid', `limit must be a whole number from 1 to ${maxLimit}`);
  if (!Number.isInteger(offset) || offset < 0) throw new AppError('request.invalid', 'offset must be a whole number of at least 0');
}
