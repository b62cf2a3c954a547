import { describeFailures } from '../../failures.js';

describeFailures('provision', { command: 'plan', hf_token: 'hf_not_a_secret' });
