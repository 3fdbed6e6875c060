// The `disranker` command line. Commands are thin: each module registers its options and
// lazily imports the code that does the work, so `disranker --help` loads nothing heavy.
import { Command } from 'commander';
import { DisrankerError } from '../util/errors.js';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerData } from './commands/data.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerGenerate } from './commands/generate.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerRerank } from './commands/rerank.js';
import { registerTeacher } from './commands/teacher.js';
import { registerStudent } from './commands/student.js';
import { registerServe } from './commands/serve.js';

const program = new Command('disranker')
  .description("Distil an LLM's web-search ranking skill into a BERT cross-encoder.")
  .version('0.1.0')
  .showHelpAfterError();

registerPipeline(program);
registerDemo(program);
registerBench(program);
registerData(program);
registerEval(program);
registerGenerate(program);
registerTeacher(program);
registerRerank(program);
registerStudent(program);
registerExport(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof DisrankerError) {
    console.error(`disranker: ${err.message}`);
  } else {
    console.error(err instanceof Error && process.env.DISRANKER_DEBUG ? err.stack : `disranker: ${String((err as Error)?.message ?? err)}`);
  }
  process.exitCode = 1;
}
