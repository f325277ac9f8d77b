import { type ApiContent, CONTENT_TYPES, LIMITS } from '@caisse/protocol';
import * as z from 'zod';
import { ID_PATTERN } from '../merchants/input.js';

/** `PUT /v1/contents/{ref}`: the good in base64url, at most `LIMITS.contentBytes` once decoded. */
export const putContentInput = z.strictObject({
  title: z
    .string()
    .min(1)
    .max(LIMITS.labelLength)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters'),
  contentType: z.enum(CONTENT_TYPES),
  data: z
    .string()
    .max(Math.ceil((LIMITS.contentBytes * 4) / 3))
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding'),
});

export const contentRef = z.string().regex(ID_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit');

/** The largest JSON body of `PUT /v1/contents/{ref}`: the good in base64url, and room for the title and type. */
export const CONTENT_BODY_LIMIT = Math.ceil((LIMITS.contentBytes * 4) / 3) + 4 * 1024;

export interface ContentRow {
  ref: string;
  title: string;
  content_type: ApiContent['contentType'];
  size: number;
  created_at: Date;
  updated_at: Date;
}

export const CONTENT_COLUMNS = 'ref, title, content_type, size, created_at, updated_at';

export function toApiContent(row: ContentRow): ApiContent {
  return {
    ref: row.ref,
    title: row.title,
    contentType: row.content_type,
    size: row.size,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A good released to the browser that paid: what it is, and its bytes. */
export interface ReleasedContent {
  title: string;
  contentType: ApiContent['contentType'];
  data: Buffer;
}
