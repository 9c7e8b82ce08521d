import { deliveryPending, type RotationDeliveryRecord } from '../../core/rotation-delivery-port';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { issuedResponse } from './keys';
import { ROTATION_DELIVERY_CONTRACT } from './rotation-deliveries.contract';

/** A held value as answered: never the sealed value. */
function presentDelivery(r: RotationDeliveryRecord, now: number) {
  return {
    object: 'rotation_delivery' as const,
    keyId: r.keyId,
    keyName: r.keyName,
    keyStart: r.keyStart,
    replacedKeyId: r.replacedKeyId,
    owner: r.owner,
    createdAt: r.createdAt,
    claimUntil: new Date(r.claimUntil).toISOString(),
    status: r.claimedAt ? ('collected' as const) : deliveryPending(r, now) ? ('pending' as const) : ('lapsed' as const),
  };
}

/** Scheduled rotations' values held for their chat owner (core/rotation-owner-delivery.ts). */
export const rotationDeliveryRoutes: Route[] = [
  defineRoute(ROTATION_DELIVERY_CONTRACT.listRotationDeliveries, async (ctx) => {
    const held = await ctx.services.rotationDeliveries.list(await ctx.principal(), { pending: ctx.input.query.status === 'pending' });
    const now = ctx.services.clock.now();
    return json(200, { object: 'list', data: held.map((r) => presentDelivery(r, now)) });
  }),
  defineRoute(ROTATION_DELIVERY_CONTRACT.claimRotationDelivery, async (ctx) => {
    const issued = await ctx.services.rotationDeliveries.claim(await ctx.principal(), ctx.params.id);
    return issuedResponse(ctx, issued, 200);
  }),
];
