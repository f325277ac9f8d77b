export { freshDatabase, requirePostgres, requireRedis, TEST_DATABASE_URL, TEST_REDIS_URL } from './services.js';
