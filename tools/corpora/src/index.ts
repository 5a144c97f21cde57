export {
  type BrownDocument,
  brownCorpusDir,
  brownTaggedToText,
  loadBrownCorpus,
  loadBrownCorpusText,
} from './brown.js';
