/** The gateway benchmark's upstream, in a process of its own: the tests' OpenAI-speaking fake, answering at once. Prints its URL. */
import { startFakeOpenAi } from '../test/support/fake-openai.js';

const fake = await startFakeOpenAi();
console.log(`upstream ${fake.url}`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
