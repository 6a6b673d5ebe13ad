/** The one error the forecaster throws: input it cannot forecast from at all (no usable points, bad options). */
import { QmError } from '../model/errors.js';

/** What to do instead when there is nothing to forecast from: the predictive recommendation must not move anything. */
export const SAFE_RECOMMENDATION = 'until the series has data, a predictive ScalingPolicy makes no recommendation and the current count is kept';

export class ForecastInputError extends QmError {
  constructor(message: string, hint: string = SAFE_RECOMMENDATION) {
    super('invalid', message, hint);
    this.name = 'ForecastInputError';
  }
}
