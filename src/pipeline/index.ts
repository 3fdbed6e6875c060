// The method's stages as functions (typed options in, structured results out, a Reporter for progress), and the
// jobs composed of them.
export { worldStage, type WorldStageOptions, type WorldStageResult } from './world.js';
export { bpeTokenizerStage, type BpeStageOptions, type BpeStageResult } from './tokenizer.js';
export { cptStage, type CptStageOptions, type CptStageResult } from './cpt.js';
export { rankJudgedStage, meanLogLikelihood, type RankJudgedOptions } from './rank-judged.js';
export { evaluateStage, type EvaluateStageOptions } from './evaluate.js';
export { runDemo, type DemoOptions, type DemoResult } from './demo.js';
export { ablateStage, ablationVariants, type AblationOptions, type AblationResult, type AblationSummary } from './ablate.js';
export { runPipeline, planPipeline, PIPELINE_STAGES, VARIANTS, type PipelineOptions, type PipelineResult, type PipelineStage } from './pipeline.js';
export { PIPELINE_PRESETS, resolvePipelineConfig, readPipelineConfigFile, parseSettings, type PipelineConfig } from './pipeline-config.js';
export { writePipelineReport, pipelineReport } from './pipeline-report.js';
export { beginRun, finishRun, readRunMarker, RUN_MARKER } from './run-folder.js';
export { CPT_DEFAULTS, DEMO_DEFAULTS, TOKENIZER_DEFAULTS } from './defaults.js';
export { silentReporter, recordingReporter, type Reporter, type Progress } from '../util/reporter.js';
