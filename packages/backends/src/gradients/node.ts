/**
 * tfjs-core's Node build registers no gradients, and its ESM
 * `register_all_gradients` module cannot load under Node ESM (extensionless
 * imports). The union package's Node bundle registers all of them into the
 * one shared tfjs-core instance, so importing it is the whole job.
 */
import '@tensorflow/tfjs';
