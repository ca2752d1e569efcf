// The diffusion science suite on the WebGPU backend (Dawn in Node).
import { webgpu } from '../helpers/backends';
import { diffusionScience } from './diffusion-suite';

diffusionScience('webgpu', webgpu);
