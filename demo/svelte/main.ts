/**
 * Mounts the Svelte demo app (App.svelte) into svelte.html; demo/framework-bundles.ts compiles and
 * bundles it when the demo starts.
 */
import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
