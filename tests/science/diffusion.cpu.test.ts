// The diffusion science suite on the CPU twins.
import { cpu } from '../helpers/backends';
import { diffusionScience } from './diffusion-suite';

diffusionScience('cpu', async () => cpu());
