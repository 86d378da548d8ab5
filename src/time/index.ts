export type { Clock } from './Clock.js';
export { systemClock } from './Clock.js';
export {
  MS_PER_DAY,
  utcDayKey,
  utcDayKeyStart,
  utcDayStart,
  utcMonthKey,
  utcMonthStart,
  utcNextDayStart,
  utcNextMonthStart,
} from './utcWindows.js';
