// The phones moved to phones/ (product code the demo uses); this keeps older test imports working.
export * from '../../../phones/index.ts';
