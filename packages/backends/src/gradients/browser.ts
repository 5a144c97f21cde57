/** In bundlers, tfjs-core's own module registers every gradient. */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
