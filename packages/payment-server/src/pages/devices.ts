import { bdi, type Html, h, localPath } from './html.js';
import { formatDateTime, formatTime, t } from './i18n.js';
import type { PageContext } from './layout.js';

/** One of the customer's phones, as the account page lists it. */
export interface DeviceEntry {
  id: string;
  /** What the customer called it at enrollment. */
  name: string | null;
  enrolledAt: Date;
  revokedAt: Date | null;
}

/** The "Your phones" section of the account page. */
export interface DevicesView {
  devices: readonly DeviceEntry[];
  actions: {
    /** POST: `csrf`. Answers with the page showing a one-time code. */
    enroll: string;
    /** POST: `csrf`, `device`. */
    revoke: string;
  };
  /** A code just made: shown on this answer only, never stored or shown again. */
  enrollmentCode?: { code: string; expiresAt: Date };
}

/**
 * The customer's phones (name, enrollment date, state, a revoke button for active ones)
 * and the button that makes a one-time enrollment code, shown once when just made.
 */
export function devicesSection(view: DevicesView, csrfToken: string, ctx: PageContext): Html {
  const { locale } = ctx;
  const rows = view.devices.map(
    (device) => h`<tr>
<td>${device.name === null ? t(locale, 'devices.unnamed') : bdi(device.name)}</td>
<td><time datetime="${device.enrolledAt.toISOString()}">${formatDateTime(device.enrolledAt, locale, ctx.timeZone)}</time></td>
<td>${device.revokedAt === null ? t(locale, 'devices.active') : t(locale, 'devices.revoked')}</td>
<td>${
      device.revokedAt === null
        ? h`<form method="post" action="${localPath(view.actions.revoke)}" class="inline-form">
<input type="hidden" name="csrf" value="${csrfToken}">
<input type="hidden" name="device" value="${device.id}">
<button type="submit" class="button button-secondary">${t(locale, 'devices.revoke')}</button>
</form>`
        : ''
    }</td>
</tr>`,
  );
  const code = view.enrollmentCode;
  return h`<section aria-labelledby="devices-heading">
<h2 id="devices-heading">${t(locale, 'devices.title')}</h2>
<p>${t(locale, 'devices.intro')}</p>
${
  view.devices.length === 0
    ? h`<p>${t(locale, 'devices.none')}</p>`
    : h`<div class="table-scroll" role="region" aria-labelledby="devices-heading" tabindex="0">
<table>
<thead>
<tr>
<th scope="col">${t(locale, 'devices.col.name')}</th>
<th scope="col">${t(locale, 'devices.col.enrolled')}</th>
<th scope="col">${t(locale, 'devices.col.state')}</th>
<th scope="col"><span class="visually-hidden">${t(locale, 'devices.col.actions')}</span></th>
</tr>
</thead>
<tbody>
${rows}
</tbody>
</table>
</div>`
}
${
  code === undefined
    ? h`<form method="post" action="${localPath(view.actions.enroll)}">
<input type="hidden" name="csrf" value="${csrfToken}">
<div class="actions"><button type="submit" class="button button-primary">${t(locale, 'devices.enroll')}</button></div>
</form>`
    : h`<div role="status">
<p>${t(locale, 'devices.codeIntro')}</p>
<p class="code"><strong>${code.code}</strong></p>
<p class="hint">${t(locale, 'devices.codeExpiry', { time: formatTime(code.expiresAt, locale, ctx.timeZone) })}</p>
</div>`
}
</section>`;
}
