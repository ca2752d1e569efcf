// Browser entry: mounts the Svelte app; the engine itself starts in a Web Worker (src/worker/trainer.worker.ts).
import { mount } from 'svelte';
import App from './app/App.svelte';
import './app/app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
