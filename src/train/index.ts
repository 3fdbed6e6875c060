// Training: the shared loop, its checkpoint format, AdamW, LR schedules and the losses (one per file).
export { train, trainConfig, lossSummary, stepSeed, CHECKPOINT_DIR, METRICS_FILE, BEST_DIR } from './trainer.js';
export type { TrainConfig, TrainTask, TrainOptions, TrainResult, LossResult } from './trainer.js';
export * from './checkpoint.js';
export { TRAIN_DEFAULTS, defaultWarmup } from './defaults.js';
export { AdamW, type AdamWOptions, type ParamGroup } from './optimizer.js';
export { lrFactor, type Schedule, type ScheduleKind } from './schedule.js';
export { pointwiseMseLoss, marginMseLoss, hybridDistillLoss, HYBRID_DEFAULTS } from './losses/index.js';
export { RANK_LOSSES, listwiseSoftmaxLoss, pairwiseHingeLoss, rankNetLoss, PAIRWISE_MARGIN, type RankLossName } from './losses/index.js';
