export { CONTENT_BODY_LIMIT, type ReleasedContent } from './model.js';
export { contentEndpoints } from './routes.js';
export { type ContentService, createContentService } from './service.js';
