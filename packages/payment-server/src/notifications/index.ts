export {
  createNotificationDispatcher,
  type DispatchReport,
  type NotificationDispatcher,
  type NotificationDispatcherDeps,
} from './dispatcher.js';
export { isNotificationError, NOTIFICATION_ERROR_CODES, NotificationError, type NotificationErrorCode } from './errors.js';
export {
  NOTIFICATION_PARKED_ALERT,
  type NotificationContent,
  type NotificationPayload,
  type NotificationStatus,
  type OutboxNotification,
} from './model.js';
export { type EnqueueNotification, enqueueNotification } from './outbox.js';
export { afterFailure, DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay } from './schedule.js';
export { createNotificationService, type ListNotificationsOptions, type NotificationService } from './service.js';
