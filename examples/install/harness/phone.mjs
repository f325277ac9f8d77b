// The customer's phone, driven by the test (not merchant code): enrols with the one-time
// code the operator printed, then approves every payment request with the PIN.
import { createDevice, memoryStore } from '@caisse/sdk';

const { CAISSE_SERVER, ENROLMENT_CODE, PIN } = process.env;
const device = createDevice({ server: CAISSE_SERVER, store: memoryStore() });
const account = await device.enroll({ code: ENROLMENT_CODE, pin: PIN });
console.log('enrolled');
for await (const event of account.requests()) {
  if (event.type !== 'request') continue;
  await account.approve(event.request, PIN);
  console.log(`approved ${event.request.amount} ${event.request.currency}`);
}
