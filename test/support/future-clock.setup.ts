import { shiftClock } from './future-clock';

// Setup file of the `clock +1y` test project (vitest.config.ts).
shiftClock();
