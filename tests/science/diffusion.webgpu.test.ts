// The diffusion science suite on the WebGPU backend (Dawn in Node): distillation, and Diffusion-DPO's agreement with
// the CPU twins, whose file shows its phenomena.
import { cpu, webgpu } from '../helpers/backends';
import { diffusionDpoAgreement, diffusionScience } from './diffusion-suite';

diffusionScience('webgpu', webgpu);
diffusionDpoAgreement(webgpu, cpu);
