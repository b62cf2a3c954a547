import { describeFailures } from '../../failures.js';

describeFailures('verify', {});
