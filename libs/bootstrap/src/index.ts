export { Startup } from './startup.ts';
