// The diffusion science suite on the CPU twins: distillation and Diffusion-DPO.
import { cpu } from '../helpers/backends';
import { diffusionDpoScience, diffusionScience } from './diffusion-suite';

diffusionScience('cpu', async () => cpu());
diffusionDpoScience('cpu', async () => cpu());
