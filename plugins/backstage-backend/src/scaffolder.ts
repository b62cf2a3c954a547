/** `backend.add(import('@spillway/backstage-plugin-spillway-backend/scaffolder'))` */
export { spillwayScaffolderModule as default } from './module.js';
